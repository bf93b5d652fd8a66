// Installer mode from the CLI: the per-node reports, waiting until every manager has the plugin,
// and taking the plugin off every manager before the installer service goes.
import { OBJECT_LABELS } from "../../common/contract.js";
import { INSTALLER_ENV, type InstallReport, parseReport } from "../../common/installer.js";
import { until } from "../../common/poll.js";
import { printable } from "../../common/printable.js";
import { listConfigs, removeConfig } from "../docker/configs.js";
import type { Engine } from "../docker/engine.js";
import { removeService, type ServiceInfo, serviceTasks, updateService } from "../docker/services.js";
import { engineFacts } from "../docker/swarm.js";
import { VspError } from "../errors.js";
import { describeTasks, hintFor } from "./engine-hints.js";
import { installerGeneration } from "./specs.js";

export interface NodeInstall {
  nodeId: string;
  hostname: string;
  /** The node's report, if its installer wrote one. */
  report?: InstallReport;
}

/** Reports by node, read strictly: a config anyone could write counts only in vsp's exact shape. */
export async function installReports(engine: Engine, name: string): Promise<Map<string, InstallReport>> {
  const configs = await listConfigs(engine, [
    `${OBJECT_LABELS.managedBy}=${name}`,
    `${OBJECT_LABELS.role}=install-report`,
  ]);
  const out = new Map<string, InstallReport>();
  for (const c of configs) {
    const r = parseReport(name, c.name, c.labels, c.id);
    if (r) out.set(r.nodeId, r);
  }
  return out;
}

/** Every manager with its report (reports of nodes that left the swarm are not listed). */
export async function managerInstalls(engine: Engine, name: string): Promise<NodeInstall[]> {
  const [facts, reports] = await Promise.all([engineFacts(engine), installReports(engine, name)]);
  return facts.managers
    .filter((m) => m.state === "ready")
    .map((m) => {
      const report = reports.get(m.id);
      return { nodeId: m.id, hostname: m.hostname, ...(report ? { report } : {}) };
    });
}

/** A node's install state as its report says it: "enabled", "failed <other ref> (why)", "no report yet". */
export function installState(n: NodeInstall, remote: string): string {
  const r = n.report;
  if (!r) return "no report yet";
  const what = r.remote === remote ? r.state : `${r.state} ${printable(r.remote, 200)}`;
  return `${what}${r.error ? ` (${printable(r.error, 300)})` : ""}`;
}

export function describeInstall(n: NodeInstall, remote: string): string {
  return `on ${n.hostname}: ${installState(n, remote)}`;
}

/** VSP_INSTALL_GENERATION and VSP_INSTALL_REMOTE of an installer service's spec. */
export function installerTarget(spec: Record<string, unknown>): { generation: string; remote: string } {
  const env =
    (spec.TaskTemplate as { ContainerSpec?: { Env?: string[] } } | undefined)?.ContainerSpec?.Env ?? [];
  const value = (k: string) => env.find((e) => e.startsWith(`${k}=`))?.slice(k.length + 1) ?? "";
  return { generation: value(INSTALLER_ENV.generation), remote: value(INSTALLER_ENV.remote) };
}

/**
 * Until every ready manager reports `state` from the installer of `spec` (its generation); a
 * privileges refusal ends the wait at once.
 */
export async function waitInstalls(
  engine: Engine,
  svc: { id: string },
  name: string,
  spec: Record<string, unknown>,
  state: "enabled" | "removed",
  timeoutMs: number,
): Promise<void> {
  const { generation, remote } = installerTarget(spec);
  const done = (n: NodeInstall) => n.report?.state === state && n.report.generation === generation;
  let last: NodeInstall[] = [];
  await until(
    timeoutMs,
    async () => {
      last = await managerInstalls(engine, name);
      const refused = last.find(
        (n) => n.report?.remote === remote && /privileges/.test(n.report.error ?? ""),
      );
      if (refused)
        throw new VspError(
          `the installer refused the plugin ${describeInstall(refused, remote)}`,
          "someone pushed another plugin under vsp's tag: deploy without --skip-build, and allow only the operator to push to the registry",
        );
      return last.length > 0 && last.every(done) ? true : undefined;
    },
    async () => {
      const tasks = await serviceTasks(engine, svc.id);
      const hint = tasks.map((t) => hintFor(t.error)?.hint).find(Boolean);
      return new VspError(
        `the plugin was not ${state === "enabled" ? "installed and enabled" : "removed"} on every manager within ${timeoutMs / 1000}s: ${last.map((n) => describeInstall(n, remote)).join("; ")}; installer tasks: ${describeTasks(
          tasks,
          last.map((n) => ({ id: n.nodeId, hostname: n.hostname })),
        )}`,
        hint ?? "read the installer's log: docker service logs <name>-installer",
      );
    },
  );
}

/**
 * Takes the plugin off every manager: the installers switch to removing, every ready manager
 * reports it gone, then the service and the reports go.
 */
export async function uninstallEverywhere(
  engine: Engine,
  installer: ServiceInfo,
  name: string,
  timeoutMs = 60_000,
): Promise<void> {
  const spec = structuredClone(installer.spec);
  const container = (spec.TaskTemplate as { ContainerSpec: { Env?: string[] } }).ContainerSpec;
  const keep = (e: string) =>
    !e.startsWith(`${INSTALLER_ENV.action}=`) && !e.startsWith(`${INSTALLER_ENV.generation}=`);
  const env = [...(container.Env ?? []).filter(keep), `${INSTALLER_ENV.action}=remove`];
  container.Env = [...env, `${INSTALLER_ENV.generation}=${installerGeneration(env)}`];
  // Not the hash of any spec deploy makes: if this stops half-way, the next deploy rewrites it.
  spec.Labels = { ...spec.Labels, [OBJECT_LABELS.configHash]: "removing" };
  await updateService(engine, installer, spec);
  await waitInstalls(engine, installer, name, spec, "removed", timeoutMs);
  await removeService(engine, installer.id);
  for (const c of await listConfigs(engine, [
    `${OBJECT_LABELS.managedBy}=${name}`,
    `${OBJECT_LABELS.role}=install-report`,
  ]))
    await removeConfig(engine, c.id);
}
