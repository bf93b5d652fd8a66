// vsp check: every (service, secret) of a stack's vsp secrets, judged before the stack deploys.
// Labels are parsed by the plugin's own code; Vault is asked what the service's policy may do,
// through a short-lived token of that policy that is revoked before the check ends. No value
// is ever read.
import { tokenRoleName } from "../../common/contract.js";
import { checkPath, substitute } from "../../common/placeholders.js";
import { LabelError, parseLabels, type SecretSpec } from "../../common/secret-labels.js";
import { servicePolicy, taskPolicyGlobs } from "../../common/task-policies.js";
import { describe, VspError } from "../errors.js";
import { VaultApiError, type VaultClient } from "../vault/client.js";
import { loadStack, type StackSecret } from "./stack-file.js";

export interface CheckOptions {
  files: string[];
  stack?: string;
  /** Deployment name: the secrets' driver, and the token role <name>-task. */
  name: string;
  policyPrefix: string;
  /** Used without Vault only; with Vault the token role's globs are the truth. */
  taskPolicies?: string[];
}

export interface CheckRow {
  service: string;
  secret: string;
  type?: SecretSpec["type"];
  policy: string;
  /** What the plugin will ask Vault, e.g. "read secret/data/shop/api". */
  operation?: string;
  ok: boolean;
  problem?: string;
  hint?: string;
  notes: string[];
}

export interface CheckReport {
  stack: string;
  deployment: string;
  /** Vault's address, or undefined when only the labels were checked (--offline). */
  vault?: string;
  ok: boolean;
  rows: CheckRow[];
  /** vsp secrets that no service mounts (Swarm creates them; nothing asks the plugin). */
  unused: string[];
  unsetVariables: string[];
}

/** Stand-ins for what exists only once a task is scheduled. */
const SAMPLES: Record<string, string> = {
  task_id: "checktaskid0000000000000",
  service_id: "checkserviceid00000000000",
  node_id: "checknodeid000000000000000",
};
const TASK_ONLY = /\{(task|task_id|service_id|node_id)\}/;
const LABELS_HINT = "fix the secret's vsp.* labels in the stack file (README: Secret labels)";

interface Planned {
  row: CheckRow;
  spec: SecretSpec;
  /** Path after placeholders, for kv/read/write. */
  path?: string;
}

class RowFailure extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

function fail(row: CheckRow, problem: string, hint?: string): void {
  row.ok = false;
  row.problem = problem;
  if (hint) row.hint = hint;
}

/** Parses labels and placeholders the way the plugin will for a task of this service. */
function plan(row: CheckRow, secret: StackSecret, stack: string): Planned | undefined {
  let spec: SecretSpec;
  try {
    spec = parseLabels(secret.labels);
  } catch (err) {
    if (err instanceof LabelError) return void fail(row, err.message, LABELS_HINT);
    throw err;
  }
  row.type = spec.type;
  const values: Record<string, string> = {
    service: row.service,
    stack,
    secret: secret.name,
    task: `${row.service}.1.${SAMPLES.task_id}`,
    ...SAMPLES,
  };
  const templates = [spec.path ?? "", ...Object.values(spec.data)];
  if (templates.some((t) => TASK_ONLY.test(t)))
    row.notes.push("task placeholders ({task}, {task_id}, …) checked with sample values");
  try {
    for (const [k, v] of Object.entries(spec.data)) substitute(`vsp.data.${k}`, v, values);
    if (spec.type === "token") {
      row.operation = `token with policy ${row.policy}`;
      return { row, spec };
    }
    const raw = spec.path ?? `secret/data/${secret.name}`;
    const path = checkPath("vsp.path", substitute("vsp.path", raw, values));
    row.operation = `${spec.type === "write" ? "update" : "read"} ${path}`;
    return { row, spec, path };
  } catch (err) {
    if (err instanceof LabelError) return void fail(row, err.message, LABELS_HINT);
    throw err;
  }
}

function listOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return typeof v === "string" && v ? v.split(",") : [];
}

export async function checkStack(
  o: CheckOptions,
  env: NodeJS.ProcessEnv,
  vault: VaultClient | undefined,
): Promise<CheckReport> {
  const stack = loadStack(o.files, env, o.stack);
  const ours = new Map(
    stack.secrets
      .filter((s) => s.driver === o.name || s.driver?.startsWith(`${o.name}:`))
      .map((s) => [s.key, s]),
  );
  const planned: Planned[] = [];
  const rows: CheckRow[] = [];
  const used = new Set<string>();
  for (const svc of stack.services) {
    for (const key of svc.secrets) {
      const secret = ours.get(key);
      if (!secret) continue;
      used.add(key);
      const row: CheckRow = {
        service: svc.name,
        secret: secret.name,
        policy: `${o.policyPrefix}${svc.name}`,
        ok: true,
        notes: [],
      };
      rows.push(row);
      const p = plan(row, secret, stack.name);
      if (p) planned.push(p);
    }
  }
  const report: CheckReport = {
    stack: stack.name,
    deployment: o.name,
    vault: vault?.addr,
    ok: true,
    rows,
    unused: [...ours.values()].filter((s) => !used.has(s.key)).map((s) => s.name),
    unsetVariables: stack.unsetVariables,
  };
  if (vault) await judgeInVault(planned, o, vault);
  else {
    const globs = taskPolicyGlobs(o.policyPrefix, o.taskPolicies);
    for (const p of planned) {
      const { problem } = servicePolicy(p.row.service, o.policyPrefix, globs, o.name);
      if (problem) fail(p.row, problem, policyHint(p.row.policy));
      p.row.notes.push("labels only: Vault not asked (--offline)");
    }
  }
  report.ok = rows.every((r) => r.ok);
  return report;
}

function policyHint(policy: string): string {
  return `rename the service, or redeploy vsp with --policy-prefix/--task-policies that allow "${policy}"`;
}

async function judgeInVault(planned: Planned[], o: CheckOptions, vault: VaultClient): Promise<void> {
  const role = tokenRoleName(o.name);
  const roleData = await vault.readTokenRole(role);
  if (!roleData) {
    for (const p of planned)
      fail(
        p.row,
        `deployment "${o.name}" is not set up in Vault at ${vault.addr} (no token role ${role})`,
        "run vsp deploy first, or pass the deployment's --name",
      );
    return;
  }
  const globs = listOf(roleData.allowed_policies_glob);
  const maxTtl = Number(roleData.token_explicit_max_ttl ?? 0);
  const probes = new Map<string, Promise<{ token: string; accessor: string }>>();
  const policies = new Map<string, Promise<boolean>>();
  try {
    for (const p of planned) {
      try {
        await judgeRow(p, { o, vault, role, globs, maxTtl, probes, policies });
      } catch (err) {
        if (err instanceof RowFailure) fail(p.row, err.message, err.hint);
        else if (err instanceof VaultApiError)
          fail(
            p.row,
            err.message,
            "check VAULT_ADDR and that VAULT_TOKEN may read policies and create tokens on the role",
          );
        else throw err;
      }
    }
  } finally {
    await revokeProbes(vault, probes);
  }
}

async function revokeProbes(
  vault: VaultClient,
  probes: Map<string, Promise<{ token: string; accessor: string }>>,
): Promise<void> {
  const failures: string[] = [];
  for (const probe of probes.values()) {
    const minted = await probe.catch(() => undefined);
    if (!minted) continue;
    await vault.revokeAccessor(minted.accessor).catch((err: unknown) => failures.push(describe(err)));
  }
  if (failures.length > 0) {
    throw new VspError(
      `could not revoke ${failures.length} check token(s); they end within 60 s: ${failures[0]}`,
    );
  }
}

interface Judge {
  o: CheckOptions;
  vault: VaultClient;
  role: string;
  globs: string[];
  maxTtl: number;
  probes: Map<string, Promise<{ token: string; accessor: string }>>;
  policies: Map<string, Promise<boolean>>;
}

async function judgeRow(p: Planned, j: Judge): Promise<void> {
  const { row, spec } = p;
  const { problem } = servicePolicy(row.service, j.o.policyPrefix, j.globs, j.o.name);
  if (problem) throw new RowFailure(problem, policyHint(row.policy));
  if (spec.ttlSeconds !== undefined && j.maxTtl > 0 && spec.ttlSeconds > j.maxTtl) {
    throw new RowFailure(
      `vsp.ttl ${spec.ttlSeconds}s is above this deployment's task max TTL of ${j.maxTtl}s`,
      "lower vsp.ttl, or redeploy vsp with a longer --task-max-ttl",
    );
  }
  let exists = j.policies.get(row.policy);
  if (!exists) {
    exists = j.vault.readPolicy(row.policy).then((text) => text !== undefined);
    j.policies.set(row.policy, exists);
  }
  if (!(await exists)) {
    throw new RowFailure(
      `policy "${row.policy}" does not exist in Vault`,
      `write it: vault policy write ${row.policy} FILE`,
    );
  }
  const needs = await required(p, j);
  if (needs.length === 0) return;
  const probe = await probeToken(row.policy, j);
  const caps = await j.vault.capabilities(
    needs.map((n) => n.path),
    probe.token,
  );
  for (const n of needs) {
    const have = caps[n.path] ?? [];
    const missing = have.includes("root")
      ? []
      : n.caps.filter((c) => !have.includes(c) || have.includes("deny"));
    if (missing.length === 0) continue;
    const why =
      n.caps.includes("update") && have.includes("create") && !have.includes("update")
        ? `; a write here needs update (create alone covers only new entries of some backends)`
        : "";
    throw new RowFailure(
      `policy "${row.policy}" allows ${have.filter((c) => c !== "deny").length ? `[${have.join(", ")}]` : "nothing"} on ${n.path}; the secret needs ${n.caps.join(" and ")}${why}`,
      `add to policy ${row.policy}: path "${n.path}" { capabilities = [${n.caps.map((c) => `"${c}"`).join(", ")}] }`,
    );
  }
}

/** The Vault paths and capabilities the plugin's requests for this secret need. */
async function required(p: Planned, j: Judge): Promise<{ path: string; caps: string[] }[]> {
  const { row, spec } = p;
  if (spec.type === "token") return [];
  const path = p.path!;
  if (spec.type === "read" || spec.type === "write")
    return [{ path, caps: [spec.type === "read" ? "read" : "update"] }];
  // kv: the plugin asks which mount holds the path with the task token, as here.
  const probe = await probeToken(row.policy, j);
  const mount = await j.vault.mountOf(path, probe.token);
  if (!mount) {
    throw new RowFailure(
      `no KV mount found for "${path}" that policy "${row.policy}" may see`,
      `add to policy ${row.policy}: path "${path}" { capabilities = ["read"] } (on KV v2: "<mount>/data/<path>")`,
    );
  }
  if (mount.type !== "kv" && mount.type !== "generic")
    throw new RowFailure(
      `"${path}" is not on a KV mount (mount ${mount.path} is ${mount.type})`,
      "use vsp.type: read for other engines",
    );
  let readPath = path;
  if (mount.version === "2") {
    let rest = path.slice(mount.path.length);
    if (rest.startsWith("data/")) rest = rest.slice(5);
    if (rest === "") throw new RowFailure(`vsp.path "${path}" names a mount, not a secret`, LABELS_HINT);
    readPath = `${mount.path}data/${rest}`;
  } else if (spec.version !== undefined) {
    throw new RowFailure(`vsp.version given but ${mount.path} is a KV version 1 mount`, LABELS_HINT);
  }
  row.operation = `read ${readPath}`;
  // vsp.wrap on kv needs nothing more of the service's policy: the plugin wraps what it read.
  return [{ path: readPath, caps: ["read"] }];
}

function probeToken(policy: string, j: Judge): Promise<{ token: string; accessor: string }> {
  let probe = j.probes.get(policy);
  if (!probe) {
    probe = j.vault
      .createRoleToken(j.role, {
        policies: [policy],
        ttl: "60s",
        display_name: "vsp-check",
        meta: { vsp: "check", policy },
      })
      .catch((err: unknown) => {
        if (err instanceof VaultApiError && err.status === 400) {
          throw new RowFailure(
            `token role ${j.role} refuses policy "${policy}": ${err.vaultMessage}`,
            policyHint(policy),
          );
        }
        throw err;
      });
    j.probes.set(policy, probe);
  }
  return probe;
}
