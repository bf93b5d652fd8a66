// Whether the plugin service runs and its plugin is enabled on every manager.
import { helperServiceName, pluginServiceName } from "../../common/contract.js";
import type { Engine } from "../docker/engine.js";
import { listPlugins } from "../docker/plugins.js";
import { findService, serviceTasks, type TaskInfo } from "../docker/services.js";
import { engineFacts } from "../docker/swarm.js";
import { VspError } from "../errors.js";
import { until } from "./wait.js";

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
  const localEnabled = plugins.some((p) => (p.Name === name || p.Name === `${name}:latest`) && p.Enabled);
  return { nodes, localEnabled };
}

export async function waitPluginEnabled(engine: Engine, name: string, timeoutMs = 120_000): Promise<void> {
  let last: Awaited<ReturnType<typeof pluginStates>> | undefined;
  await until(
    timeoutMs,
    async () => {
      last = await pluginStates(engine, name);
      return last.localEnabled && last.nodes.every((n) => n.taskState === "running") ? true : undefined;
    },
    () =>
      new VspError(
        `the plugin did not become enabled on every manager within ${timeoutMs / 1000}s: ${
          last?.nodes
            .map((n) => `${n.hostname}: ${n.taskState}${n.error ? ` (${n.error})` : ""}`)
            .join(", ") ?? "no state"
        }`,
        "check that the managers can pull from the registry and run dockerd with experimental features",
      ),
  );
}

/** After the plugin service is removed, its plugin leaves the local engine. */
export async function waitPluginGone(engine: Engine, name: string, timeoutMs = 60_000): Promise<void> {
  await until(
    timeoutMs,
    async () =>
      (await listPlugins(engine)).some((p) => p.Name === name || p.Name === `${name}:latest`)
        ? undefined
        : true,
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
  await until(
    timeoutMs,
    async () => {
      const facts = await engineFacts(engine);
      const svc = await findService(engine, helperServiceName(name));
      if (!svc) return undefined;
      seen = await serviceTasks(engine, svc.id);
      const ok = facts.managers.every((m) =>
        seen.some((t) => t.nodeId === m.id && t.state === "running" && t.secretIds.includes(secretId)),
      );
      return ok ? true : undefined;
    },
    () =>
      new VspError(
        `the helper service did not run with the bootstrap secret on every manager within ${timeoutMs / 1000}s (${
          seen.map((t) => `${t.state}${t.error ? `: ${t.error}` : ""}`).join(", ") || "no tasks"
        })`,
        "check that the managers can pull the vsp image from the registry",
      ),
  );
}
