// Which policies a task token may carry: a service's policy is <prefix><service name>, and it
// must match one of the deployment's task-policy globs (Vault's allowed_policies_glob on the
// role says the same). Vault lowercases policy names, so every comparison ignores case.
import { printable } from "./printable.js";

/** Policies no task token may carry, whatever the globs say (Vault's role refuses them too). */
export function forbiddenPolicies(deployment: string): string[] {
  return ["root", "default", `${deployment}-plugin`];
}

/** The globs to use: the explicit list, or `<prefix>*` when there is a prefix. */
export function taskPolicyGlobs(prefix: string, explicit: string[] | undefined): string[] {
  if (explicit && explicit.length > 0) return explicit;
  return prefix === "" ? [] : [`${prefix}*`];
}

/** Why a glob list cannot be used, or undefined. */
export function taskPolicyGlobsProblem(globs: string[]): string | undefined {
  if (globs.length === 0)
    return "no task policies: with an empty policy prefix, list the policies task tokens may carry";
  for (const g of globs) {
    if (!/^[A-Za-z0-9._*-]{1,128}$/.test(g))
      return `task policy "${g.slice(0, 80)}" holds characters outside [A-Za-z0-9._*-]`;
    if (/^\**$/.test(g)) return `task policy "${g}" would allow every policy`;
  }
  return undefined;
}

/** Compiled globs: a deployment has a handful, and each request checks them. */
const compiled = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  const known = compiled.get(glob);
  if (known) return known;
  const body = glob
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, "\\$&"))
    .join(".*");
  const re = new RegExp(`^${body}$`, "i");
  if (compiled.size < 256) compiled.set(glob, re);
  return re;
}

/** True when a task token may carry `policy`. */
export function policyAllowed(policy: string, globs: string[], deployment: string): boolean {
  const lower = policy.toLowerCase();
  if (forbiddenPolicies(deployment).some((f) => f.toLowerCase() === lower)) return false;
  return globs.some((g) => globToRegExp(g).test(policy));
}

const SAFE_SERVICE = /^[A-Za-z0-9._-]{1,200}$/;

/** The policy a service's task tokens carry, or why they may not carry it. */
export function servicePolicy(
  service: string,
  prefix: string,
  globs: string[],
  deployment: string,
): { policy: string; problem?: string } {
  const policy = `${prefix}${service}`;
  if (!SAFE_SERVICE.test(service)) {
    return {
      policy,
      problem: `service name "${printable(service)}" holds characters outside [A-Za-z0-9._-]`,
    };
  }
  if (!policyAllowed(policy, globs, deployment)) {
    return {
      policy,
      problem: `service "${service}" maps to policy "${policy}", which task tokens of this deployment may not carry (allowed: ${globs.join(", ") || "none"}; never root, default or the plugin's own)`,
    };
  }
  return { policy };
}
