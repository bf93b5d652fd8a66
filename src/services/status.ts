// vsp status: what runs, what Vault says of the bootstrap token, and what is unhealthy.

import { FAILURES_LABEL, ISSUANCE_LABELS, isPluginNamed, OBJECT_LABELS } from "../../common/contract.js";
import type { DeployMode } from "../../common/installer.js";
import { printable } from "../../common/printable.js";
import { parseState } from "../../common/refresh-state.js";
import { listConfigs } from "../docker/configs.js";
import type { Engine } from "../docker/engine.js";
import { listPlugins } from "../docker/plugins.js";
import { serviceTasks } from "../docker/services.js";
import { describe } from "../errors.js";
import { type Health, VaultClient, type VaultSettings } from "../vault/client.js";
import {
  currentMode,
  DEPLOY_LABELS,
  mountedBootstrapSecret,
  pluginCarrier,
  readDeployment,
  servicesMountingBootstrap,
} from "./deployment.js";
import { installerTarget, installState, managerInstalls } from "./installer.js";
import { type PluginNodeState, pluginStates } from "./plugin-state.js";
import { probeRegistry, registryDigest } from "./preflight.js";
import { isBootstrapToken } from "./vault-objects.js";

export interface StatusReport {
  name: string;
  healthy: boolean;
  problems: string[];
  plugin: {
    /** How the plugin reaches the managers; none: neither service exists. */
    mode: DeployMode | "none";
    /** The plugin service, or in installer mode the installer service, exists. */
    service: boolean;
    ref?: string;
    /** Per manager; taskState "running" means its plugin runs (installer mode: enabled from ref). */
    nodes: PluginNodeState[];
    enabledHere: boolean;
  };
  helper: { service: boolean; tasks: { node: string; state: string; error?: string }[] };
  bootstrapToken?: {
    secret: string;
    accessor: string;
    valid?: boolean;
    ttlSeconds?: number;
    expireTime?: string | null;
    policies?: string[];
    renewable?: boolean;
    checked: boolean;
  };
  vault: { addr?: string; deployedAddr?: string; health?: Health; error?: string };
  lastRotation?: string;
  bootstrapSecrets: number;
  /** Recent GetSecret failures per service, as the plugin published them (Swarm hides them). */
  recentFailures: { service: string; count: number; last: string; at: string }[];
  /** Task credentials the plugin tracks (from its issuance records; identifiers only). */
  credentials: CredentialReport;
  /** Services with vsp.refresh: the leader plugin's rollover state (from Swarm configs). */
  refresh: RefreshReport[];
}

export interface CredentialIssue {
  task: string;
  service: string;
  secret: string;
  accessor?: string;
  reason: string;
}

export interface CredentialReport {
  /** Issued to tasks that may still run. */
  live: number;
  /** Revoked (or found already gone) in the last hour, after their task ended. */
  revokedLastHour: number;
  /** Left to their TTL on purpose (vsp.revoke=never, wrap-only). */
  kept: number;
  /** Not revoked: Vault did not confirm the token as this task's (with why). */
  notRevoked: CredentialIssue[];
  /** Task ended but Vault could not be reached yet; the leader's plugin keeps trying. */
  pending: CredentialIssue[];
}

export interface RefreshReport {
  service: string;
  modes: string;
  lastRollout?: string;
  outcome?: string;
  reason?: string;
  nextRollout?: string;
  rolling: boolean;
}

/** The registry's digest for the deployed plugin tag, against the one deploy recorded. */
async function pluginTagDrift(labels: Record<string, string> | undefined): Promise<string | undefined> {
  const ref = labels?.[DEPLOY_LABELS.pluginRef] ?? "";
  const recorded = labels?.[DEPLOY_LABELS.pluginDigest];
  // Deployed by digest: what the tag points at now does not matter.
  if (ref.includes("@")) return undefined;
  const m = ref.match(/^([^/]+)\/(.+):([A-Za-z0-9._-]+)$/);
  if (!recorded || !m) return undefined;
  const base = await probeRegistry(m[1]!);
  if (!base) return undefined; // the registry is unreachable from here: not a finding
  const now = await registryDigest(base, m[2]!, m[3]!);
  if (now === recorded) return undefined;
  return `the plugin tag ${printable(ref, 200)} in the registry is ${now ? `now ${now}` : "gone"}, not the ${printable(recorded, 80)} deployed: someone pushed over vsp's tag; check the registry, then vsp deploy`;
}

async function refreshStates(engine: Engine, name: string): Promise<RefreshReport[]> {
  const configs = await listConfigs(engine, [
    `${OBJECT_LABELS.managedBy}=${name}`,
    `${OBJECT_LABELS.role}=refresh-state`,
  ]);
  return configs
    .flatMap((c) => {
      const s = parseState(name, c.labels);
      return s
        ? [
            {
              service: s.service,
              modes: s.modes,
              lastRollout: s.lastAt,
              outcome: s.outcome,
              reason: s.reason,
              nextRollout: s.nextAt,
              rolling: !!s.rollout,
            },
          ]
        : [];
    })
    .sort((a, b) => a.service.localeCompare(b.service));
}

async function credentials(engine: Engine, name: string): Promise<CredentialReport> {
  const configs = await listConfigs(engine, [
    `${OBJECT_LABELS.managedBy}=${name}`,
    `${OBJECT_LABELS.role}=issuance`,
  ]);
  const report: CredentialReport = { live: 0, revokedLastHour: 0, kept: 0, notRevoked: [], pending: [] };
  const hourAgo = Date.now() - 3_600_000;
  for (const { labels } of configs) {
    const issue = (): CredentialIssue => ({
      task: labels[ISSUANCE_LABELS.task] ?? "?",
      service: labels[ISSUANCE_LABELS.service] ?? "?",
      secret: labels[ISSUANCE_LABELS.secret] ?? "?",
      accessor: labels[ISSUANCE_LABELS.accessor],
      reason: labels[ISSUANCE_LABELS.reason] ?? "",
    });
    switch (labels[ISSUANCE_LABELS.state]) {
      case "live":
        if (labels[ISSUANCE_LABELS.reason]) report.pending.push(issue());
        else report.live++;
        break;
      case "revoked":
        if (Date.parse(labels[ISSUANCE_LABELS.endedAt] ?? "") >= hourAgo) report.revokedLastHour++;
        break;
      case "kept":
        report.kept++;
        break;
      case "failed":
        report.notRevoked.push(issue());
        break;
    }
  }
  return report;
}

async function recentFailures(engine: Engine, name: string): Promise<StatusReport["recentFailures"]> {
  const configs = await listConfigs(engine, [
    `${OBJECT_LABELS.managedBy}=${name}`,
    `${OBJECT_LABELS.role}=plugin-status`,
  ]);
  const all: StatusReport["recentFailures"] = [];
  for (const c of configs) {
    try {
      all.push(...(JSON.parse(c.labels[FAILURES_LABEL] ?? "[]") as StatusReport["recentFailures"]));
    } catch {
      // a label we did not write
    }
  }
  return all.sort((a, b) => b.at.localeCompare(a.at));
}

function sameAddr(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return a === b;
  }
}

/** Installer mode: each manager's report, as a plugin state ("running" = enabled as the installer service asks). */
async function installerStates(
  engine: Engine,
  name: string,
  spec: Record<string, unknown>,
): Promise<{ nodes: PluginNodeState[]; localEnabled: boolean }> {
  const [installs, plugins] = await Promise.all([managerInstalls(engine, name), listPlugins(engine)]);
  const { generation, remote: ref } = installerTarget(spec);
  const nodes = installs.map((n) => {
    const ok = n.report?.state === "enabled" && n.report.generation === generation;
    return {
      nodeId: n.nodeId,
      hostname: n.hostname,
      taskState: ok ? "running" : installState(n, ref),
    };
  });
  const localEnabled = plugins.some((p) => isPluginNamed(p.Name, name) && p.Enabled);
  return { nodes, localEnabled };
}

export async function status(
  engine: Engine,
  name: string,
  vaultSettings: VaultSettings,
): Promise<StatusReport> {
  const d = await readDeployment(engine, name);
  const problems: string[] = [];
  const mode = currentMode(d) ?? "none";
  const carrier = pluginCarrier(d);
  const ref = carrier?.spec.Labels?.[DEPLOY_LABELS.pluginRef];
  const states = d.installer
    ? await installerStates(engine, name, d.installer.spec)
    : await pluginStates(engine, name);
  if (mode === "none")
    problems.push(`plugin service ${name}-plugin (or installer service ${name}-installer) is missing`);
  for (const n of states.nodes) {
    if (n.taskState !== "running")
      problems.push(`plugin on ${n.hostname} is ${n.taskState}${n.error ? ` (${n.error})` : ""}`);
  }
  const helperTasks = d.helper ? await serviceTasks(engine, d.helper.id) : [];
  const runningHelpers = helperTasks.filter((t) => t.desiredState === "running");
  if (!d.helper) problems.push(`helper service ${name}-helper is missing`);
  else if (!runningHelpers.some((t) => t.state === "running")) problems.push("no helper task is running");

  // The operator's token goes only to the address the operator gave (VAULT_ADDR): a label on
  // the plugin service is anyone's to write, so it is shown and compared, never contacted.
  const vaultAddr = vaultSettings.addr || undefined;
  const deployedAddr = carrier?.spec.Labels?.[DEPLOY_LABELS.vaultAddr];
  if (!vaultAddr)
    problems.push(
      `Vault not checked: set VAULT_ADDR (the plugin service says it uses ${printable(deployedAddr ?? "nothing", 200)})`,
    );
  else if (deployedAddr !== undefined && !sameAddr(deployedAddr, vaultAddr))
    problems.push(
      `the plugin service says it uses Vault at ${printable(deployedAddr, 200)}, but VAULT_ADDR is ${vaultAddr}`,
    );
  const report: StatusReport = {
    name,
    healthy: false,
    problems,
    plugin: {
      mode,
      service: mode !== "none",
      ref,
      nodes: states.nodes,
      enabledHere: states.localEnabled,
    },
    helper: {
      service: !!d.helper,
      tasks: runningHelpers.map((t) => ({ node: t.nodeId, state: t.state, error: t.error })),
    },
    vault: { addr: vaultAddr, deployedAddr },
    lastRotation: d.helper?.spec.Labels?.[DEPLOY_LABELS.rotatedAt],
    bootstrapSecrets: d.bootstrapSecrets.length,
    recentFailures: await recentFailures(engine, name),
    credentials: await credentials(engine, name),
    refresh: await refreshStates(engine, name),
  };
  const drift = await pluginTagDrift(carrier?.spec.Labels);
  if (drift) problems.push(drift);
  for (const r of report.refresh)
    if (r.outcome === "failed" || r.outcome === "refused")
      problems.push(`rollover of ${r.service} ${r.outcome}: ${r.reason ?? "no reason recorded"}`);
  if (report.credentials.notRevoked.length > 0)
    problems.push(
      `${report.credentials.notRevoked.length} task credential(s) were not revoked after their task ended (see credentials)`,
    );

  if (vaultAddr) {
    const vault = new VaultClient(vaultSettings);
    try {
      report.vault.health = await vault.health();
      if (report.vault.health.sealed) problems.push(`Vault at ${vault.addr} is sealed`);
    } catch (err) {
      report.vault.error = describe(err);
      problems.push(`Vault at ${vault.addr} is unreachable`);
    }
    const mounted = mountedBootstrapSecret(d);
    if (!mounted) {
      if (d.helper) problems.push("the helper mounts no bootstrap secret vsp knows");
    } else {
      const tokenReport: NonNullable<StatusReport["bootstrapToken"]> = {
        secret: mounted.name,
        accessor: mounted.accessor,
        checked: false,
      };
      report.bootstrapToken = tokenReport;
      if (vaultSettings.token && !report.vault.error) {
        try {
          const info = await vault.lookupAccessor(mounted.accessor);
          tokenReport.checked = true;
          tokenReport.valid = !!info;
          if (info && !isBootstrapToken(info, name)) {
            tokenReport.valid = false;
            problems.push(
              `the helper's secret names accessor ${printable(mounted.accessor)}, which is not a bootstrap token of "${name}" (forged label?): run vsp bootstrap-token rotate`,
            );
          } else if (info) {
            tokenReport.ttlSeconds = info.ttl;
            tokenReport.expireTime = info.expire_time;
            tokenReport.policies = info.policies;
            tokenReport.renewable = info.renewable;
          } else {
            problems.push("the bootstrap token is revoked or expired: run vsp bootstrap-token rotate");
          }
        } catch (err) {
          problems.push(`cannot look up the bootstrap token: ${describe(err)}`);
        }
      }
    }
  }
  for (const svc of await servicesMountingBootstrap(engine, d))
    problems.push(
      `service ${printable(svc)} mounts the plugin's bootstrap secret and so holds its token: remove the secret from it, then run vsp bootstrap-token rotate`,
    );
  for (const ignored of d.ignoredSecrets)
    problems.push(
      `secret ${printable(ignored)} is labelled as a bootstrap secret but its labels are malformed (ignored)`,
    );
  if (d.bootstrapSecrets.length > 1)
    problems.push(
      `${d.bootstrapSecrets.length} bootstrap secrets exist (an interrupted rotation?): run vsp bootstrap-token rotate`,
    );
  report.healthy = problems.length === 0;
  return report;
}
