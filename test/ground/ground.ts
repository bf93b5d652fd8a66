// The test ground: a private dockerd + swarm, a registry, OpenBao and a local Node base image,
// isolated from anything the user runs. One ground serves a whole test run (the runner starts it
// and passes its state in VSP_GROUND_FILE); a test file run alone starts and removes its own.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after } from "node:test";
import Docker from "dockerode";
import { type Engine, engineFrom } from "../../src/docker/engine.js";
import { BASE_IMAGE, buildBaseImage } from "./base-image.js";
import { type DockerdState, startDockerd, stopDockerd } from "./dockerd.js";
import { runningEngine, type TestEngine, testEngine } from "./engine.js";
import { type OpenBaoState, startOpenBao, stopOpenBao } from "./openbao.js";
import { type Binaries, ensurePrereqs } from "./prereqs.js";
import { execFileP, mountsUnder, processesMentioning, stopPid } from "./process.js";
import { type RegistryState, startRegistry, stopRegistry } from "./registry.js";

export interface GroundState {
  root: string;
  binaries: Binaries;
  engine: TestEngine;
  /** What the ground logged it started, e.g. "trixie: dockerd 26.1.5+dfsg1, containerd 1.7.24~ds1". */
  engineVersion: string;
  dockerd: DockerdState;
  registry: RegistryState;
  bao: OpenBaoState;
  baseImage: string;
  startedMs: number;
}

export class Ground {
  readonly docker: Docker;
  constructor(readonly state: GroundState) {
    this.docker = new Docker({ socketPath: state.dockerd.socket });
  }
  /** The same engine as vsp's own modules take it. */
  get engine(): Engine {
    return engineFrom(this.docker);
  }
  get dockerHost(): string {
    return `unix://${this.state.dockerd.socket}`;
  }
  get vaultAddr(): string {
    return this.state.bao.addr;
  }
  get rootToken(): string {
    return this.state.bao.rootToken;
  }
  get registry(): string {
    return this.state.registry.address;
  }
  /** Environment for running the docker CLI or vsp against the ground. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      DOCKER_HOST: this.dockerHost,
      DOCKER_CONFIG: path.join(this.state.root, "docker-config"),
      VAULT_ADDR: this.vaultAddr,
      VAULT_TOKEN: this.rootToken,
      NO_COLOR: "1",
      ...extra,
    };
  }
  /** Runs the docker CLI (for `docker stack deploy` and friends) against the private engine. */
  async dockerCli(args: string[]): Promise<string> {
    const { stdout } = await execFileP(this.state.binaries.docker, args, {
      env: this.env(),
      maxBuffer: 64 << 20,
    });
    return stdout;
  }
  tempDir(name: string): string {
    const dir = fs.mkdtempSync(path.join(this.state.root, `${name}-`));
    return dir;
  }
}

const log = (m: string) => process.stderr.write(`[ground] ${m}\n`);

export async function startGround(): Promise<Ground> {
  const started = Date.now();
  const binaries = await ensurePrereqs(log);
  const engine = testEngine(binaries.dockerd);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "vsp-ground-"));
  fs.mkdirSync(path.join(root, "docker-config"));
  fs.writeFileSync(path.join(root, "docker-config", "config.json"), "{}\n");
  const partial: Partial<GroundState> = {
    root,
    binaries,
    engine,
  };
  try {
    const [dockerd, registry, bao] = await Promise.all([
      startDockerd(engine, path.join(root, "dockerd")),
      startRegistry(binaries["docker-registry"], path.join(root, "registry")),
      startOpenBao(binaries.bao, path.join(root, "openbao"), "dev"),
    ]);
    Object.assign(partial, { dockerd, registry, bao });
    const docker = new Docker({ socketPath: dockerd.socket });
    const engineVersion = await runningEngine(docker, engine);
    const baseImage = await buildBaseImage(docker, binaries.busybox, root);
    const state: GroundState = {
      ...(partial as GroundState),
      engineVersion,
      baseImage,
      startedMs: Date.now() - started,
    };
    fs.writeFileSync(path.join(root, "state.json"), JSON.stringify(state, null, 2));
    log(
      `up in ${state.startedMs} ms (engine ${state.engineVersion} at ${dockerd.socket}, registry ${registry.address}, OpenBao ${bao.addr})`,
    );
    return new Ground(state);
  } catch (err) {
    await teardown(partial).catch(() => undefined);
    throw err;
  }
}

async function removeEngineObjects(socket: string): Promise<string[]> {
  const docker = new Docker({ socketPath: socket, timeout: 20_000 });
  const pluginIds: string[] = [];
  try {
    const services = [
      ...(await docker.listServices({})),
      ...(await docker.listServices({
        filters: JSON.stringify({ runtime: ["plugin"] }),
      } as Docker.ServiceListOptions)),
    ];
    for (const s of services)
      await docker
        .getService(s.ID)
        .remove()
        .catch(() => undefined);
    const plugins = (await docker.listPlugins({})) as { Id: string; Name: string }[];
    for (const p of plugins) {
      pluginIds.push(p.Id);
      await docker
        .getPlugin(p.Name, undefined)
        .remove({ force: true })
        .catch(() => undefined);
    }
  } catch {
    // the engine may already be gone
  }
  return pluginIds;
}

async function teardown(state: Partial<GroundState>): Promise<void> {
  let pluginIds: string[] = [];
  if (state.dockerd) {
    pluginIds = await removeEngineObjects(state.dockerd.socket);
    await stopDockerd(state.dockerd);
  }
  if (state.registry) await stopRegistry(state.registry);
  if (state.bao) await stopOpenBao(state.bao);
  if (!state.root) return;
  for (const p of processesMentioning(state.root)) await stopPid(p.pid, 5000);
  for (const point of mountsUnder(state.root))
    await execFileP("umount", ["-l", point]).catch(() => undefined);
  for (const id of pluginIds)
    fs.rmSync(path.join("/run/docker/plugins", id), { recursive: true, force: true });
  fs.rmSync(state.root, { recursive: true, force: true });
}

export interface Leftovers {
  processes: string[];
  mounts: string[];
  paths: string[];
}

export function leftovers(state: GroundState): Leftovers {
  return {
    processes: processesMentioning(state.root).map((p) => `${p.pid} ${p.cmd.slice(0, 120)}`),
    mounts: mountsUnder(state.root),
    paths: [state.root, state.dockerd.socket].filter((p) => fs.existsSync(p)),
  };
}

/** Rewrites state.json, after a test changed the ground (a restarted daemon has a new pid). */
export function saveState(ground: Ground): void {
  fs.writeFileSync(path.join(ground.state.root, "state.json"), JSON.stringify(ground.state, null, 2));
}

export async function stopGround(ground: Ground): Promise<Leftovers> {
  // Another process may have restarted a daemon of this ground: its state file knows the pid.
  const file = path.join(ground.state.root, "state.json");
  if (fs.existsSync(file))
    Object.assign(ground.state, JSON.parse(fs.readFileSync(file, "utf8")) as GroundState);
  await teardown(ground.state);
  return leftovers(ground.state);
}

let shared: Promise<Ground> | undefined;

/** The ground of this test run: the runner's if there is one, else a private one for this file. */
export function useGround(): Promise<Ground> {
  if (shared) return shared;
  const file = process.env.VSP_GROUND_FILE;
  if (file) {
    shared = Promise.resolve(new Ground(JSON.parse(fs.readFileSync(file, "utf8")) as GroundState));
  } else {
    shared = startGround();
    after(async () => {
      const g = await shared!;
      const left = await stopGround(g);
      if (left.processes.length || left.mounts.length) log(`left behind: ${JSON.stringify(left)}`);
    });
  }
  return shared;
}

export { BASE_IMAGE };
