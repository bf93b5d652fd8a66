// Whether the plugin service runs and its plugin is enabled on every manager.
import { helperServiceName, isPluginNamed, pluginServiceName } from "../../common/contract.js";
import { until } from "../../common/poll.js";
import type { Engine } from "../docker/engine.js";
import { listPlugins } from "../docker/plugins.js";
import { findService, serviceTasks, type TaskInfo } from "../docker/services.js";
import { engineFacts } from "../docker/swarm.js";
import { VspError } from "../errors.js";
import { describeTasks, hintFor, knownFailure, type NodeName } from "./engine-hints.js";

export interface PluginNodeState {
  nodeId: string;
  hostname: string;
  taskState: string;
  error?: string;
}

export async function pluginStates(
  engine: Engine,
  name: string,
): Promise<{ nodes: PluginNodeState[]; localEnabled: boolean }> {
  const facts = await engineFacts(engine);
  const svc = await findService(engine, pluginServiceName(name));
  const tasks: TaskInfo[] = svc ? await serviceTasks(engine, svc.id, true) : [];
  const nodes = facts.managers.map((m) => {
    const mine = tasks
      .filter((t) => t.nodeId === m.id)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const current = mine.find((t) => t.desiredState === "running") ?? mine[0];
    return { nodeId: m.id, hostname: m.hostname, taskState: current?.state ?? "none", error: current?.error };
  });
  const plugins = await listPlugins(engine);
  const localEnabled = plugins.some((p) => isPluginNamed(p.Name, name) && p.Enabled);
  return { nodes, localEnabled };
}

export async function waitPluginEnabled(engine: Engine, name: string, timeoutMs = 120_000): Promise<void> {
  let last: Awaited<ReturnType<typeof pluginStates>> | undefined;
  const describeNodes = () =>
    last?.nodes.map((n) => `on ${n.hostname}: ${n.taskState}${n.error ? ` (${n.error})` : ""}`).join("; ") ??
    "no state";
  await until(
    timeoutMs,
    async () => {
      last = await pluginStates(engine, name);
      const fatal = last.nodes.find((n) => hintFor(n.error)?.fatal);
      if (fatal)
        throw new VspError(`the plugin cannot start: ${describeNodes()}`, hintFor(fatal.error)!.hint);
      return last.localEnabled && last.nodes.every((n) => n.taskState === "running") ? true : undefined;
    },
    () =>
      new VspError(
        `the plugin did not become enabled on every manager within ${timeoutMs / 1000}s: ${describeNodes()}`,
        last?.nodes.map((n) => hintFor(n.error)?.hint).find(Boolean) ??
          "check that the managers can pull from the registry and run dockerd with experimental features",
      ),
  );
}

/** After the plugin service is removed, its plugin leaves the local engine. */
export async function waitPluginGone(engine: Engine, name: string, timeoutMs = 60_000): Promise<void> {
  await until(
    timeoutMs,
    async () => ((await listPlugins(engine)).some((p) => isPluginNamed(p.Name, name)) ? undefined : true),
    () => new VspError(`the old plugin ${name} was not removed within ${timeoutMs / 1000}s`),
  );
}

/** Waits until every manager runs a task of the helper that mounts `secretId`. */
export async function waitHelperRunning(
  engine: Engine,
  name: string,
  secretId: string,
  timeoutMs = 90_000,
): Promise<void> {
  let seen: TaskInfo[] = [];
  let managers: NodeName[] = [];
  await until(
    timeoutMs,
    async () => {
      managers = (await engineFacts(engine)).managers;
      const svc = await findService(engine, helperServiceName(name));
      if (!svc) return undefined;
      seen = (await serviceTasks(engine, svc.id)).filter((t) => t.secretIds.includes(secretId));
      const failure = knownFailure(seen.filter((t) => ["failed", "rejected"].includes(t.state)));
      if (failure?.hint.fatal)
        throw new VspError(
          `the helper service cannot run: ${describeTasks(seen, managers)}`,
          failure.hint.hint,
        );
      const ok = managers.every((m) => seen.some((t) => t.nodeId === m.id && t.state === "running"));
      return ok ? true : undefined;
    },
    () =>
      new VspError(
        `the helper service did not run with the bootstrap secret on every manager within ${timeoutMs / 1000}s: ${describeTasks(seen, managers)}`,
        knownFailure(seen)?.hint.hint ?? "check that the managers can pull the vsp image from the registry",
      ),
  );
}
