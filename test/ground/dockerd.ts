// A private dockerd (own data-root, exec-root, pidfile, socket) with a one-node swarm on loopback.
import fs from "node:fs";
import path from "node:path";
import Docker from "dockerode";
import { daemonJson, engineEnv, type TestEngine } from "./engine.js";
import { execFileP, freePort, mountsUnder, startDaemon, stopPid, waitFor } from "./process.js";

export interface DockerdState {
  dir: string;
  socket: string;
  pid: number;
  swarmPort: number;
}

export interface DockerdOptions {
  experimental?: boolean;
  swarm?: boolean;
}

export async function startDockerd(
  engine: TestEngine,
  dir: string,
  o: DockerdOptions = {},
): Promise<DockerdState> {
  const socket = path.join(dir, "docker.sock");
  for (const sub of ["data", "exec"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const configFile = path.join(dir, "daemon.json");
  fs.writeFileSync(configFile, daemonJson(engine));
  const daemon = startDaemon(
    engine.dockerd,
    [
      ...(o.experimental === false ? [] : ["--experimental"]),
      `--config-file=${configFile}`,
      `--data-root=${path.join(dir, "data")}`,
      `--exec-root=${path.join(dir, "exec")}`,
      `--pidfile=${path.join(dir, "dockerd.pid")}`,
      `-H`,
      `unix://${socket}`,
      "--bridge=none",
      "--iptables=false",
      "--ip-masq=false",
      "--userland-proxy=false",
      "--log-level=warn",
    ],
    path.join(dir, "dockerd.log"),
    // Swarm tries to pull a task's image before using the local copy: the ground's images are
    // local only, and nothing may be pulled from outside.
    engineEnv(engine, { ...process.env, DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: "1" }),
  );
  const pid = daemon.child.pid!;
  const docker = new Docker({ socketPath: socket });
  await waitFor(
    "the private dockerd to answer",
    async () => {
      if (daemon.child.exitCode !== null) {
        throw new Error(`dockerd exited: ${fs.readFileSync(daemon.logFile, "utf8").slice(-800)}`);
      }
      return (await docker.ping()) ? true : undefined;
    },
    60_000,
  );
  const swarmPort = await freePort();
  if (o.swarm === false) return { dir, socket, pid, swarmPort };
  await initSwarm(docker, swarmPort);
  return { dir, socket, pid, swarmPort };
}

export async function initSwarm(docker: Docker, swarmPort: number): Promise<void> {
  const dataPathPort = await freePort();
  await docker.swarmInit({
    ListenAddr: `127.0.0.1:${swarmPort}`,
    AdvertiseAddr: `127.0.0.1:${swarmPort}`,
    DataPathPort: dataPathPort,
    ForceNewCluster: false,
  });
}

export async function stopDockerd(state: DockerdState): Promise<void> {
  await stopPid(state.pid, 30_000);
  // containerd-shims of killed containers may linger: they run from our exec-root.
  for (const point of mountsUnder(state.dir)) {
    await execFileP("umount", ["-l", point]).catch(() => undefined);
  }
}

/** Restarts the private dockerd with the same directories (swarm, plugins and services persist). */
export async function restartDockerd(engine: TestEngine, state: DockerdState): Promise<void> {
  await stopPid(state.pid, 30_000);
  const fresh = await startDockerd(engine, state.dir, { swarm: false });
  state.pid = fresh.pid;
}
