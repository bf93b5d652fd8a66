// The Vault objects vsp deploy manages (DESIGN §4): plugin policy, task token role, bootstrap token.
import {
  AUDIT_HEADERS,
  bootstrapRoleName,
  policyName,
  readRoleName,
  tokenRoleName,
} from "../../common/contract.js";
import { durationMs } from "../../common/duration.js";
import { describe } from "../errors.js";
import type { TokenLookup, VaultClient } from "../vault/client.js";

export interface VaultObjectOptions {
  name: string;
  /**
   * CIDRs the bootstrap token may be used from (token_bound_cidrs); [] = anywhere; undefined =
   * keep what the bootstrap role has.
   */
  bootstrapCidrs?: string[];
  /** Globs of the policies task tokens may carry; never "*" (the command checks). */
  taskPolicies: string[];
  taskMaxTtl: string;
}

export function pluginPolicyText(name: string): string {
  const role = tokenRoleName(name);
  return [
    `# Managed by vsp (${name}): the plugin may only mint task tokens on its role, manage itself, and revoke task tokens.`,
    `path "auth/token/create/${role}" {\n  capabilities = ["create", "update"]\n}`,
    "# kv read tokens: batch tokens of a service's policy, reused for a minute (no storage write per value).",
    `path "auth/token/create/${readRoleName(name)}" {\n  capabilities = ["create", "update"]\n}`,
    `path "auth/token/renew-self" {\n  capabilities = ["update"]\n}`,
    `path "auth/token/lookup-self" {\n  capabilities = ["read"]\n}`,
    `path "auth/token/revoke-accessor" {\n  capabilities = ["update"]\n}`,
    "# lookup-accessor: before revoking an ended task's token, check it is one of this role's task tokens.",
    `path "auth/token/lookup-accessor" {\n  capabilities = ["update"]\n}`,
    "# the role's max TTL: a longer vsp.ttl is refused with the limit named instead of capped.",
    `path "auth/token/roles/${role}" {\n  capabilities = ["read"]\n}`,
    "# vsp.wrap on kv: the plugin wraps what the service's read token read (read tokens hold no default policy).",
    `path "sys/wrapping/wrap" {\n  capabilities = ["update"]\n}`,
    "",
  ].join("\n");
}

export function tokenRoleBody(o: VaultObjectOptions): Record<string, unknown> {
  return {
    orphan: true,
    renewable: true,
    allowed_policies: [],
    allowed_policies_glob: o.taskPolicies,
    disallowed_policies: ["root", policyName(o.name)],
    token_explicit_max_ttl: o.taskMaxTtl,
    token_type: "service",
  };
}

/**
 * Batch tokens for kv reads: not stored, not renewable, orphans (OpenBao allows no other batch
 * role), the same policy globs. No max TTL on the role: OpenBao refuses an explicit one on a batch
 * role and does not show token_max_ttl back; the plugin asks for 120 s. No default policy: its
 * templated paths make OpenBao build the ACL on every request, which doubled its CPU per read
 * (0.49 against 0.21 ms, measured); the service's policy is all a read needs.
 */
export function readRoleBody(o: VaultObjectOptions): Record<string, unknown> {
  return {
    orphan: true,
    renewable: false,
    allowed_policies: [],
    allowed_policies_glob: o.taskPolicies,
    disallowed_policies: ["root", policyName(o.name)],
    token_no_default_policy: true,
    token_type: "batch",
  };
}

/** Seconds of a duration flag, NaN when it is not one. */
export function toSeconds(d: string): number {
  const ms = durationMs(d);
  return ms === undefined ? Number.NaN : ms / 1000;
}

function sameList(a: unknown, b: unknown[]): boolean {
  const x = Array.isArray(a)
    ? [...a].map(String).sort()
    : typeof a === "string" && a
      ? a.split(",").sort()
      : [];
  return JSON.stringify(x) === JSON.stringify([...b].map(String).sort());
}

/** Creates or corrects the plugin policy and the task role; returns what changed. */
export async function ensureVaultObjects(
  vault: VaultClient,
  o: VaultObjectOptions,
  warn: (message: string) => void = () => undefined,
): Promise<string[]> {
  const changed: string[] = [];
  const policy = policyName(o.name);
  const text = pluginPolicyText(o.name);
  if ((await vault.readPolicy(policy))?.trim() !== text.trim()) {
    await vault.writePolicy(policy, text);
    changed.push(`policy ${policy}`);
  }
  const role = tokenRoleName(o.name);
  const want = tokenRoleBody(o);
  const have = await vault.readTokenRole(role);
  const same =
    have !== undefined &&
    have.orphan === true &&
    have.renewable === true &&
    sameList(have.allowed_policies_glob, want.allowed_policies_glob as string[]) &&
    sameList(have.allowed_policies, []) &&
    sameList(have.disallowed_policies, want.disallowed_policies as string[]) &&
    Number(have.token_explicit_max_ttl ?? have.explicit_max_ttl) === toSeconds(o.taskMaxTtl);
  if (!same) {
    await vault.writeTokenRole(role, want);
    changed.push(`token role ${role}`);
  }
  const readRole = readRoleName(o.name);
  const wantRead = readRoleBody(o);
  const haveRead = await vault.readTokenRole(readRole);
  const sameRead =
    haveRead !== undefined &&
    haveRead.orphan === true &&
    haveRead.renewable === false &&
    haveRead.token_type === "batch" &&
    haveRead.token_no_default_policy === true &&
    sameList(haveRead.allowed_policies_glob, wantRead.allowed_policies_glob as string[]) &&
    sameList(haveRead.disallowed_policies, wantRead.disallowed_policies as string[]);
  if (!sameRead) {
    await vault.writeTokenRole(readRole, wantRead);
    changed.push(`token role ${readRole}`);
  }
  const bootRole = bootstrapRoleName(o.name);
  const haveBoot = await vault.readTokenRole(bootRole);
  const cidrs = o.bootstrapCidrs ?? listOf(haveBoot?.token_bound_cidrs);
  const wantBoot = bootstrapRoleBody(o.name, cidrs);
  const sameBoot =
    haveBoot !== undefined &&
    haveBoot.orphan === true &&
    sameList(haveBoot.allowed_policies, wantBoot.allowed_policies as string[]) &&
    Number(haveBoot.token_period ?? haveBoot.period) === toSeconds(BOOTSTRAP_PERIOD) &&
    haveBoot.token_no_default_policy === true &&
    sameList(listOf(haveBoot.token_bound_cidrs).map(hostCidr), cidrs.map(hostCidr));
  if (!sameBoot) {
    await vault.writeTokenRole(bootRole, wantBoot);
    changed.push(
      `token role ${bootRole}${cidrs.length ? ` (bootstrap token bound to ${cidrs.join(", ")})` : ""}`,
    );
  }
  changed.push(...(await ensureAuditHeaders(vault, warn)));
  return changed;
}

/**
 * The audit log keeps the headers naming the task of each kv read (unhashed: task IDs are not
 * secrets). Needs sudo on sys/config/auditing: without it, deploy goes on and says what is lost.
 */
async function ensureAuditHeaders(vault: VaultClient, warn: (message: string) => void): Promise<string[]> {
  const have = await vault.auditedHeaders().catch(() => undefined);
  const lower = new Map(Object.entries(have ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const changed: string[] = [];
  for (const header of Object.values(AUDIT_HEADERS)) {
    const h = lower.get(header.toLowerCase());
    if (h && h.hmac === false) continue;
    try {
      await vault.auditHeader(header);
      changed.push(`audited request header ${header}`);
    } catch (err) {
      warn(
        `the audit log will not name the task of each kv read: setting ${header} as an audited request header failed (${describe(err)}); an operator with sudo on sys/config/auditing can run vault write sys/config/auditing/request-headers/${header} hmac=false`,
      );
    }
  }
  return changed;
}

export const BOOTSTRAP_PERIOD = "24h";

export function bootstrapRoleBody(name: string, cidrs: string[]): Record<string, unknown> {
  return {
    orphan: true,
    renewable: true,
    allowed_policies: [policyName(name)],
    token_no_default_policy: true,
    token_period: BOOTSTRAP_PERIOD,
    token_bound_cidrs: cidrs,
    token_type: "service",
  };
}

/** Vault shows a single-host CIDR as the bare address. */
function hostCidr(c: string): string {
  return c.replace(/\/(32|128)$/, "");
}

/** Vault returns lists as arrays, or (for some fields) comma-separated strings. */
function listOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return typeof v === "string" && v ? v.split(",") : [];
}

/** A periodic orphan token with the plugin's policy only (the plugin renews it). */
/**
 * True when Vault shows a bootstrap token of deployment `name`: exactly the plugin policy and
 * vsp's metadata. A bootstrap secret is found by its Swarm labels, which anyone with Docker
 * access can write; its accessor is revoked or adopted only after this check.
 */
export function isBootstrapToken(info: TokenLookup, name: string): boolean {
  const policies = [...(info.policies ?? [])].map((p) => p.toLowerCase()).sort();
  return (
    policies.length === 1 &&
    policies[0] === policyName(name).toLowerCase() &&
    info.meta?.["vsp-name"] === name
  );
}

/** Revokes the token behind a labelled accessor if, and only if, it is one of this deployment's bootstrap tokens. */
export async function revokeBootstrapToken(
  vault: VaultClient,
  name: string,
  accessor: string,
): Promise<"revoked" | "gone" | "foreign"> {
  const info = await vault.lookupAccessor(accessor);
  if (!info) return "gone";
  if (!isBootstrapToken(info, name)) return "foreign";
  await vault.revokeAccessor(accessor);
  return "revoked";
}

export async function mintBootstrapToken(
  vault: VaultClient,
  name: string,
): Promise<{ token: string; accessor: string }> {
  // On the bootstrap role: its period, its policy and its bound CIDRs (create-orphan ignores those).
  // Deployments made before the role existed get it here, unbound, on their next rotation.
  if (!(await vault.readTokenRole(bootstrapRoleName(name))))
    await vault.writeTokenRole(bootstrapRoleName(name), bootstrapRoleBody(name, []));
  return vault.createRoleToken(bootstrapRoleName(name), {
    policies: [policyName(name)],
    display_name: `${name}-bootstrap`,
    meta: { "vsp-name": name, purpose: "vsp plugin bootstrap" },
  });
}
