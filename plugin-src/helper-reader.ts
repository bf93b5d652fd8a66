// Reads the bootstrap token from the helper container on this node, through the Docker socket.

import fs from "node:fs";
import type Docker from "dockerode";
import { BOOTSTRAP_SECRET_TARGET, helperServiceName } from "../common/contract.js";
import { execCapture } from "../common/docker-exec.js";
import { ProviderError } from "./errors.js";

/** A bootstrap token is about a hundred bytes; anything much larger is not one. */
const MAX_EXEC_OUTPUT = 64 * 1024;

export interface BootstrapSource {
  readToken(): Promise<string>;
}

export class HelperReader implements BootstrapSource {
  private nodeId: string | undefined;

  /**
   * `onSocketLost` runs when the Docker socket that was mounted at start is gone: a plugin that
   * the engine disabled and enabled again can come back without its mounts.
   */
  constructor(
    private readonly name: string,
    private readonly docker: Docker,
    private readonly socketPath: string,
    private readonly onSocketLost: () => void = () => undefined,
  ) {
    this.socketAtStart = fs.existsSync(socketPath);
  }
  private readonly socketAtStart: boolean;

  /** Checks now and then, so a lost mount is repaired before a rotation needs the helper. */
  watchSocket(intervalMs = 5000): NodeJS.Timeout {
    const timer = setInterval(() => {
      if (this.socketAtStart && !fs.existsSync(this.socketPath)) this.onSocketLost();
    }, intervalMs);
    timer.unref();
    return timer;
  }

  async localNodeId(): Promise<string> {
    if (this.nodeId) return this.nodeId;
    const info = (await this.docker.info()) as { Swarm?: { NodeID?: string } };
    const id = info.Swarm?.NodeID;
    if (!id)
      throw new ProviderError(
        "this engine is not a swarm node; the plugin must run on a manager",
        "bootstrap",
      );
    this.nodeId = id;
    return id;
  }

  /**
   * The helper is found through Swarm, not container labels (anyone can start a container with
   * any labels): the running tasks of the helper service on this node, and their containers.
   */
  async readToken(): Promise<string> {
    let tasks: {
      CreatedAt?: string;
      Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
    }[];
    try {
      const nodeId = await this.localNodeId();
      tasks = (await this.docker.listTasks({
        filters: JSON.stringify({
          service: [helperServiceName(this.name)],
          node: [nodeId],
          "desired-state": ["running"],
        }),
      })) as unknown as typeof tasks;
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      if ((err as { statusCode?: number }).statusCode === 404) {
        throw new ProviderError(
          `no helper service ${helperServiceName(this.name)} in this swarm; run vsp deploy`,
          "bootstrap",
        );
      }
      if (
        (err as { code?: string }).code === "ENOENT" &&
        this.socketAtStart &&
        !fs.existsSync(this.socketPath)
      ) {
        this.onSocketLost();
      }
      throw new ProviderError(
        `cannot reach the Docker socket to find the helper (${(err as Error).message.slice(0, 120)})`,
        "bootstrap",
      );
    }
    const running = tasks.filter(
      (t) => t.Status?.State === "running" && t.Status.ContainerStatus?.ContainerID,
    );
    if (running.length === 0) {
      throw new ProviderError(
        `no running helper task of "${this.name}" on this node; run vsp deploy (or vsp status to see the helper)`,
        "bootstrap",
      );
    }
    // During a rotation the old and the new helper task may both run: the newest holds the newest token.
    running.sort((a, b) => Date.parse(b.CreatedAt ?? "") - Date.parse(a.CreatedAt ?? ""));
    const chosen = { Id: running[0]!.Status!.ContainerStatus!.ContainerID! };
    const token = (
      await this.exec(chosen.Id, [
        "node",
        "-e",
        "process.stdout.write(require('fs').readFileSync(process.argv[1]))",
        `/run/secrets/${BOOTSTRAP_SECRET_TARGET}`,
      ])
    ).trim();
    if (token === "")
      throw new ProviderError(
        "the helper's bootstrap secret is empty; run vsp bootstrap-token rotate",
        "bootstrap",
      );
    return token;
  }

  /** `docker exec` with a time limit and a size cap: a stuck or chatty helper cannot stall the plugin. */
  private async exec(containerId: string, cmd: string[], timeoutMs = 10_000): Promise<string> {
    const what = `reading the bootstrap token from helper container ${containerId.slice(0, 12)} failed`;
    let result: Awaited<ReturnType<typeof execCapture>>;
    try {
      result = await execCapture(this.docker, containerId, cmd, { timeoutMs, maxBytes: MAX_EXEC_OUTPUT });
    } catch (e) {
      throw new ProviderError(`${what} (${(e as Error).message})`, "bootstrap");
    }
    if (result.exitCode !== 0)
      throw new ProviderError(
        `${what} (exit ${result.exitCode}: ${result.stderr.trim().slice(0, 120)})`,
        "bootstrap",
      );
    return result.stdout;
  }
}
