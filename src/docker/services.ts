import type { RolloutSwarm } from "../../common/rollout.js";
import { dockerRolloutSwarm } from "../../common/rollout-docker.js";
// Swarm services, including plugin services (hidden from GET /services without a runtime filter).
import { dockerApi, type Engine, ignoreNotFound } from "./engine.js";

export interface ServiceInfo {
  id: string;
  name: string;
  version: number;
  spec: Record<string, unknown> & { Name: string; Labels?: Record<string, string> };
}

export interface TaskInfo {
  id: string;
  nodeId: string;
  state: string;
  desiredState: string;
  error?: string;
  message?: string;
  createdAt: string;
  secretIds: string[];
}

function toInfo(s: { ID: string; Version: { Index: number }; Spec: ServiceInfo["spec"] }): ServiceInfo {
  return { id: s.ID, name: s.Spec.Name, version: s.Version.Index, spec: s.Spec };
}

export async function findService(engine: Engine, name: string): Promise<ServiceInfo | undefined> {
  for (const runtime of [undefined, "plugin"]) {
    const filters: Record<string, string[]> = { name: [name] };
    if (runtime) filters.runtime = [runtime];
    const list = (await dockerApi(engine).listServices({
      filters: JSON.stringify(filters),
    })) as unknown as Parameters<typeof toInfo>[0][];
    const exact = list.find((s) => s.Spec.Name === name);
    if (exact) return toInfo(exact);
  }
  return undefined;
}

export async function listAllServices(engine: Engine): Promise<ServiceInfo[]> {
  const plain = (await dockerApi(engine).listServices({})) as unknown as Parameters<typeof toInfo>[0][];
  const plugins = (await dockerApi(engine).listServices({
    filters: JSON.stringify({ runtime: ["plugin"] }),
  })) as unknown as Parameters<typeof toInfo>[0][];
  const byId = new Map([...plain, ...plugins].map((s) => [s.ID, toInfo(s)]));
  return [...byId.values()];
}

export async function createService(engine: Engine, spec: Record<string, unknown>): Promise<string> {
  const res = (await dockerApi(engine).createService(spec)) as unknown as { id?: string; ID?: string };
  return (res.id ?? res.ID)!;
}

export async function updateService(
  engine: Engine,
  svc: ServiceInfo,
  spec: Record<string, unknown>,
): Promise<void> {
  await dockerApi(engine)
    .getService(svc.id)
    .update({ ...spec, version: svc.version });
}

export async function removeService(engine: Engine, id: string): Promise<void> {
  await ignoreNotFound(dockerApi(engine).getService(id).remove());
}

/** Tasks of a service; a plugin service's tasks are hidden unless asked for with the runtime filter. */
export async function serviceTasks(engine: Engine, serviceId: string, plugin = false): Promise<TaskInfo[]> {
  const filters: Record<string, string[]> = { service: [serviceId] };
  if (plugin) filters.runtime = ["plugin"];
  const tasks = (await dockerApi(engine).listTasks({ filters: JSON.stringify(filters) })) as unknown as {
    ID: string;
    NodeID: string;
    CreatedAt: string;
    DesiredState: string;
    Status: { State: string; Err?: string; Message?: string };
    Spec: { ContainerSpec?: { Secrets?: { SecretID: string }[] } };
  }[];
  return tasks.map((t) => ({
    id: t.ID,
    nodeId: t.NodeID,
    state: t.Status.State,
    desiredState: t.DesiredState,
    error: t.Status.Err,
    message: t.Status.Message,
    createdAt: t.CreatedAt,
    secretIds: (t.Spec.ContainerSpec?.Secrets ?? []).map((s) => s.SecretID),
  }));
}

/** The rollout's view of the swarm (common/rollout), over this engine. */
export function rolloutSwarm(engine: Engine): RolloutSwarm {
  return dockerRolloutSwarm(dockerApi(engine));
}
