// Stacks on the ground: deploy with the real docker CLI, wait for tasks, read secret files in tasks.
import fs from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { execCapture } from "../../common/docker-exec.js";
import type { Ground } from "../ground/ground.js";
import { waitFor } from "../ground/process.js";

export async function deployStack(
  ground: Ground,
  stack: string,
  composeYaml: string,
  extraFiles: string[] = [],
): Promise<void> {
  const dir = ground.tempDir(`stack-${stack}`);
  const file = path.join(dir, "compose.yml");
  fs.writeFileSync(file, composeYaml);
  const args = ["stack", "deploy", "--resolve-image", "never", "-c", file];
  for (const f of extraFiles) args.push("-c", f);
  await ground.dockerCli([...args, stack]);
}

export async function removeStack(ground: Ground, stack: string): Promise<void> {
  await ground.dockerCli(["stack", "rm", stack]).catch(() => undefined);
  await waitFor(
    `stack ${stack} to be gone`,
    async () => {
      const containers = await ground.docker.listContainers({
        all: true,
        filters: { label: [`com.docker.stack.namespace=${stack}`] },
      });
      const services = await ground.docker.listServices({
        filters: JSON.stringify({ label: [`com.docker.stack.namespace=${stack}`] }),
      } as never);
      return containers.length === 0 && (services as unknown as unknown[]).length === 0 ? true : undefined;
    },
    60_000,
  );
  // Secrets go when no service uses them any more.
  const secrets = await ground.docker.listSecrets({
    filters: JSON.stringify({ label: [`com.docker.stack.namespace=${stack}`] }),
  } as never);
  for (const s of secrets as unknown as { ID: string }[])
    await ground.docker
      .getSecret(s.ID)
      .remove()
      .catch(() => undefined);
}

export interface TaskView {
  taskId: string;
  state: string;
  error?: string;
  containerId?: string;
}

export async function tasksOf(ground: Ground, service: string): Promise<TaskView[]> {
  const tasks = (await ground.docker.listTasks({
    filters: JSON.stringify({ service: [service], "desired-state": ["running"] }),
  } as never)) as unknown as {
    ID: string;
    Status: { State: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
  }[];
  return tasks.map((t) => ({
    taskId: t.ID,
    state: t.Status.State,
    error: t.Status.Err,
    containerId: t.Status.ContainerStatus?.ContainerID,
  }));
}

export async function waitRunning(
  ground: Ground,
  service: string,
  replicas: number,
  timeoutMs = 120_000,
): Promise<TaskView[]> {
  return waitFor(
    `${replicas} running task(s) of ${service}`,
    async () => {
      const tasks = await tasksOf(ground, service);
      const running = tasks.filter((t) => t.state === "running" && t.containerId);
      return running.length >= replicas ? running : undefined;
    },
    timeoutMs,
    500,
  );
}

/** Latest error Swarm recorded for a service's tasks (e.g. "secret not found"). */
export async function waitTaskError(ground: Ground, service: string, timeoutMs = 60_000): Promise<string> {
  return waitFor(
    `a failed task of ${service}`,
    async () => {
      const tasks = (await ground.docker.listTasks({
        filters: JSON.stringify({ service: [service] }),
      } as never)) as unknown as {
        Status: { State: string; Err?: string };
      }[];
      return tasks.find((t) => t.Status.Err)?.Status.Err;
    },
    timeoutMs,
  );
}

export async function execIn(docker: Docker, containerId: string, cmd: string[]): Promise<string> {
  return (await execCapture(docker, containerId, cmd, { timeoutMs: 30_000, maxBytes: 16 << 20 })).stdout;
}

export async function readSecretInTasks(
  ground: Ground,
  tasks: TaskView[],
  target: string,
): Promise<string[]> {
  return Promise.all(
    tasks.map((t) => execIn(ground.docker, t.containerId!, ["cat", `/run/secrets/${target}`])),
  );
}

/** The plugin's JSON log lines, from the private dockerd's log. */
export function pluginLog(ground: Ground): Record<string, unknown>[] {
  const text = fs.readFileSync(path.join(ground.state.dockerd.dir, "dockerd.log"), "utf8");
  const lines: Record<string, unknown>[] = [];
  for (const m of text.matchAll(/msg="(\{.*?\})" plugin=/g)) {
    try {
      lines.push(JSON.parse(m[1]!.replace(/\\"/g, '"').replace(/\\\\/g, "\\")) as Record<string, unknown>);
    } catch {
      // not one of ours
    }
  }
  return lines;
}

export const HOST_NETWORK = `networks:\n  hostnet:\n    external: true\n    name: host\n`;

/**
 * A stack file: one sleeping service "app" whose tasks mount one `driver: vsp` secret "db" with
 * these labels (at /run/secrets/<target>, target "db" unless given).
 */
export function oneSecretStack(
  ground: Ground,
  o: { replicas: number; labels: Record<string, string>; target?: string },
): string {
  const mount = o.target ? `[{ source: db, target: ${o.target} }]` : "[db]";
  const labels = Object.entries(o.labels)
    .map(([k, v]) => `${k}: ${v}`)
    .join(", ");
  return `version: "3.8"
services:
${sleeper(ground, "app", o.replicas, mount)}secrets:
  db:
    driver: vsp
    labels: { ${labels} }
${HOST_NETWORK}`;
}

/**
 * A compose service that only sleeps, on the host network, with the local image; `update` is its
 * update_config (a flow mapping), `secrets` its secrets list.
 */
export function sleeper(
  ground: Ground,
  name: string,
  replicas: number,
  secrets?: string,
  update?: string,
): string {
  const deploy = update
    ? `deploy:\n      replicas: ${replicas}\n      update_config: ${update}`
    : `deploy: { replicas: ${replicas} }`;
  return `  ${name}:
    image: ${ground.state.baseImage}
    command: ["/bin/sleep", "100000"]
    stop_grace_period: 1s
    networks: [hostnet]
    ${deploy}
${secrets ? `    secrets: ${secrets}\n` : ""}`;
}
