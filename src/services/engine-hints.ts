// The engine's own task errors → what the operator should change. One table, used by every wait
// in deploy and rotate; `fatal` causes do not fix themselves, so a wait stops at the first one.
import { DEFAULT_DOCKER_SOCKET } from "../../common/contract.js";
import type { TaskInfo } from "../docker/services.js";

export interface EngineHint {
  cause: "docker-socket" | "node" | "registry" | "experimental" | "placement";
  pattern: RegExp;
  hint: string;
  fatal: boolean;
}

export const ENGINE_HINTS: EngineHint[] = [
  {
    cause: "docker-socket",
    // The manager survey's exit code when nothing answers the Docker API on the path.
    pattern: /non-zero exit \(4\)/,
    hint: "no Docker engine answers on --docker-socket on that manager: pass the path of the managers' own socket",
    fatal: true,
  },
  {
    cause: "docker-socket",
    pattern: /docker\.sock|bind source path does not exist|error mounting "[^"]*"/i,
    hint: `the managers' Docker socket is elsewhere: pass --docker-socket with its path on the managers (default ${DEFAULT_DOCKER_SOCKET})`,
    fatal: true,
  },
  {
    cause: "node",
    pattern: /exec: "[^"]*node"|"node": executable file not found|no such file or directory: node\b/i,
    hint: "the base image has no usable node: pass --base-image with an image that has Node.js 20 or later on its PATH",
    fatal: true,
  },
  {
    cause: "experimental",
    pattern: /experimental/i,
    hint: 'plugin services need experimental features: deploy with --mode installer (or --mode auto), or set "experimental": true in /etc/docker/daemon.json on every manager and restart dockerd',
    fatal: true,
  },
  {
    cause: "registry",
    pattern:
      /pull access denied|manifest unknown|manifest for .* not found|not found: manifest|repository does not exist|no such host|HTTP response to HTTPS client|x509|certificate|unauthorized|authentication required|connection refused|i\/o timeout|No such image|error pulling|failed to resolve reference/i,
    hint: "the managers cannot pull from the registry: make it reachable from every manager, allow anonymous pulls, and list it in insecure-registries if it is plain http",
    fatal: false,
  },
  {
    cause: "placement",
    pattern: /no suitable node/i,
    hint: "no manager can take the task: check `docker node ls` (managers available, not drained)",
    fatal: false,
  },
];

export function hintFor(error: string | undefined): EngineHint | undefined {
  if (!error) return undefined;
  return ENGINE_HINTS.find((h) => h.pattern.test(error));
}

export interface NodeName {
  id: string;
  hostname: string;
}

/** "on <host>: <state> (<engine error>)" for each task, newest first per node. */
export function describeTasks(tasks: TaskInfo[], nodes: NodeName[]): string {
  const host = (id: string) => nodes.find((n) => n.id === id)?.hostname ?? id.slice(0, 12);
  const latest = new Map<string, TaskInfo>();
  for (const t of [...tasks].sort((a, b) => a.createdAt.localeCompare(b.createdAt))) latest.set(t.nodeId, t);
  return (
    [...latest.values()]
      .map((t) => `on ${host(t.nodeId)}: ${t.state}${t.error ? ` (${t.error})` : ""}`)
      .join("; ") || "no tasks"
  );
}

/** The first task error the table knows, preferring fatal causes. */
export function knownFailure(tasks: TaskInfo[]): { task: TaskInfo; hint: EngineHint } | undefined {
  let found: { task: TaskInfo; hint: EngineHint } | undefined;
  for (const task of tasks) {
    const hint = hintFor(task.error);
    if (hint && (!found || (hint.fatal && !found.hint.fatal))) found = { task, hint };
  }
  return found;
}
