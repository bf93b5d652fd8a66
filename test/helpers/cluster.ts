// Helpers for tests on the multi-manager ground: tasks with the node they run on, secrets read on
// that node, what vsp left on each node, and timing a recovery.
import path from "node:path";
import type Docker from "dockerode";
import { PLUGIN_SOCKET } from "../../common/contract.js";
import type { Cluster, ClusterNode } from "../ground/cluster.js";
import { waitFor } from "../ground/process.js";
import { execIn } from "./swarm.js";

export interface NodeTask {
  taskId: string;
  state: string;
  nodeId: string;
  /** undefined when the Swarm node is not one of the cluster's (never, on this ground). */
  node?: ClusterNode;
  containerId?: string;
  error?: string;
  createdAt: string;
}

interface RawTask {
  ID: string;
  NodeID: string;
  CreatedAt: string;
  Status: { State: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
}

/** `vsp deploy` flags for the cluster: its registry, base image and the nodes' /run/docker.sock. */
export function clusterDeployArgs(cluster: Cluster, extra: string[] = []): string[] {
  return [
    "deploy",
    "--registry",
    cluster.registry,
    "--base-image",
    cluster.baseImage,
    "--docker-socket",
    "/run/docker.sock",
    ...extra,
  ];
}

/** Tasks of a service whose desired state is running, each with its cluster node (asked of any reachable manager). */
export async function serviceTasksByNode(cluster: Cluster, service: string): Promise<NodeTask[]> {
  const views = await cluster.swarmNodes();
  const byId = new Map(views.map((v) => [v.ID, cluster.nodeOf(v)]));
  let last: unknown;
  for (const n of cluster.reachable()) {
    try {
      const tasks = (await cluster.docker(n).listTasks({
        filters: JSON.stringify({ service: [service], "desired-state": ["running"] }),
      } as never)) as unknown as RawTask[];
      return tasks.map((t) => ({
        taskId: t.ID,
        state: t.Status.State,
        nodeId: t.NodeID,
        node: byId.get(t.NodeID),
        containerId: t.Status.ContainerStatus?.ContainerID,
        error: t.Status.Err,
        createdAt: t.CreatedAt,
      }));
    } catch (err) {
      last = err;
    }
  }
  throw new Error(
    `cannot list tasks of ${service}: ${(last as Error | undefined)?.message ?? "no manager up"}`,
  );
}

/** The running tasks (with a container) of a service, per node. */
export async function runningTasksByNode(cluster: Cluster, service: string): Promise<NodeTask[]> {
  return (await serviceTasksByNode(cluster, service)).filter(
    (t) => t.state === "running" && t.containerId && t.node,
  );
}

export async function waitRunningOnCluster(
  cluster: Cluster,
  service: string,
  replicas: number,
  timeoutMs = 120_000,
): Promise<NodeTask[]> {
  return waitFor(
    `${replicas} running task(s) of ${service}`,
    async () => {
      const running = await runningTasksByNode(cluster, service);
      return running.length >= replicas ? running : undefined;
    },
    timeoutMs,
    500,
  );
}

/** `cat /run/secrets/<target>` in the task's container, on the node that runs it. */
export function readSecretOn(cluster: Cluster, task: NodeTask, target: string): Promise<string> {
  if (!task.node || !task.containerId) throw new Error(`task ${task.taskId} has no node or container`);
  return execIn(cluster.docker(task.node), task.containerId, ["cat", `/run/secrets/${target}`]);
}

export function countByNode(tasks: NodeTask[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tasks) out[t.node?.name ?? t.nodeId] = (out[t.node?.name ?? t.nodeId] ?? 0) + 1;
  return out;
}

/** `docker stack rm`, then waits until no node has a container or service of the stack, and removes its secrets. */
export async function removeStackOnCluster(
  cluster: Cluster,
  stack: string,
  timeoutMs = 90_000,
): Promise<void> {
  const label = [`com.docker.stack.namespace=${stack}`];
  const via = cluster.reachable()[0];
  if (!via) throw new Error("no reachable manager");
  await cluster.ground(via).dockerCli(["stack", "rm", stack]);
  await waitFor(
    `stack ${stack} to be gone from every node`,
    async () => {
      for (const n of cluster.reachable()) {
        const d = cluster.docker(n);
        const containers = await d.listContainers({ all: true, filters: { label } });
        const services = await d.listServices({
          filters: JSON.stringify({ label }),
        } as Docker.ServiceListOptions);
        if (containers.length || services.length) return undefined;
      }
      return true;
    },
    timeoutMs,
    500,
  );
  const d = cluster.docker(via);
  const secrets = (await d.listSecrets({ filters: JSON.stringify({ label }) } as never)) as unknown as {
    ID: string;
  }[];
  for (const s of secrets)
    await d
      .getSecret(s.ID)
      .remove()
      .catch(() => undefined);
}

/** What vsp (deployment `name`) has on one node: enabled plugins, its services, its and driver secrets. */
export async function vspObjectsOn(
  cluster: Cluster,
  node: ClusterNode,
  name = "vsp",
): Promise<{ plugins: string[]; services: string[]; secrets: string[] }> {
  const d = cluster.docker(node);
  const plugins = ((await d.listPlugins({})) as unknown as { Name: string }[])
    .map((p) => p.Name)
    .filter((p) => p === name || p === `${name}:latest`);
  const services = [
    ...(await d.listServices({})),
    ...(await d.listServices({
      filters: JSON.stringify({ runtime: ["plugin"] }),
    } as Docker.ServiceListOptions)),
  ]
    .map((s) => (s as { Spec?: { Name?: string } }).Spec?.Name ?? "")
    .filter((s) => s.startsWith(`${name}-`));
  const secrets = (
    (await d.listSecrets({})) as unknown as {
      Spec: { Name: string; Labels?: Record<string, string>; Driver?: { Name: string } };
    }[]
  )
    .filter((s) => s.Spec.Labels?.["com.vsp.managed-by"] === name || s.Spec.Driver?.Name === name)
    .map((s) => s.Spec.Name);
  return { plugins, services: [...new Set(services)], secrets };
}

/** The plugin's socket on a node, as seen from the host (under the node's own run folder). */
export async function pluginSocketOn(cluster: Cluster, node: ClusterNode, name = "vsp"): Promise<string> {
  const plugins = (await cluster.docker(node).listPlugins({})) as unknown as {
    Id: string;
    Name: string;
    Enabled: boolean;
  }[];
  const p = plugins.find((x) => x.Name === `${name}:latest` && x.Enabled);
  if (!p) throw new Error(`plugin ${name} is not enabled on ${node.name}`);
  return path.join(node.runDir, "docker", "plugins", p.Id, PLUGIN_SOCKET);
}

/** Milliseconds from `since` until `probe` answers (polled every `intervalMs`). */
export async function msUntil<T>(
  what: string,
  since: number,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
  intervalMs = 250,
): Promise<{ ms: number; value: T }> {
  const value = await waitFor(what, probe, timeoutMs, intervalMs);
  return { ms: Date.now() - since, value };
}
