// The multi-manager test ground: N private dockerds, each in its own network and mount namespace
// on a private bridge (10.77.N.0/24, no route anywhere else), joined as Swarm managers, with a
// registry and OpenBao in a namespace of their own on the same bridge. A Ground object per node
// lets the single-node helpers (vsp(), deployStack, tasksOf, bao(), must()) run against any node.
// Faults: kill / start / restart a node's engine, cut / restore its link.
import fs from "node:fs";
import path from "node:path";
import Docker from "dockerode";
import { BASE_IMAGE, buildBaseImage, followBuild } from "./base-image.js";
import { type ClusterNode, endPid, launchEngine, waitGone } from "./cluster-node.js";
import { type ClusterLeftovers, clusterLeftovers, teardown } from "./cluster-teardown.js";
import { runningEngine, type TestEngine, testEngine } from "./engine.js";
import { Ground, type GroundState } from "./ground.js";
import {
  addNamespace,
  allowBridgeForward,
  createBridge,
  ensureNetTools,
  newTag,
  pickSubnet,
  setLink,
} from "./netns.js";
import { type OpenBaoState, startOpenBao } from "./openbao.js";
import { type Binaries, ensurePrereqs } from "./prereqs.js";
import { waitFor } from "./process.js";
import { type RegistryState, startRegistry } from "./registry.js";

export type { ClusterNode };

export interface ClusterState {
  tag: string;
  root: string;
  subnet: string;
  bridge: string;
  /** Namespace of the registry and OpenBao. */
  servicesNetns: string;
  servicesVeth: string;
  forwardRule?: string[];
  binaries: Binaries;
  engine: TestEngine;
  /** False: engines without --experimental (no plugin services; vsp's installer mode). */
  experimental: boolean;
  nodes: ClusterNode[];
  registry?: RegistryState;
  bao?: OpenBaoState;
  baseImage: string;
  engineVersion?: string;
  startedMs: number;
}

export interface SwarmNodeView {
  ID: string;
  Description: { Hostname: string };
  Status: { State: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability: string; Addr: string };
}

const log = (m: string) => process.stderr.write(`[cluster] ${m}\n`);
const SWARM_PORT = 2377;

export class Cluster {
  /** Engines killed or stopped by a fault (not to be asked anything). */
  readonly down = new Set<string>();
  /** Nodes whose link is cut. */
  readonly cut = new Set<string>();
  private readonly clients = new Map<string, Docker>();

  constructor(readonly state: ClusterState) {}

  get nodes(): ClusterNode[] {
    return this.state.nodes;
  }
  get registry(): string {
    return this.state.registry!.address;
  }
  get baseImage(): string {
    return this.state.baseImage;
  }

  node(ref: string): ClusterNode {
    const n = this.nodes.find((x) => x.name === ref || x.hostname === ref || x.ip === ref);
    if (!n) throw new Error(`no cluster node ${ref}`);
    return n;
  }

  docker(node: ClusterNode = this.nodes[0]!): Docker {
    let d = this.clients.get(node.name);
    if (!d) {
      d = new Docker({ socketPath: node.socket, timeout: 30_000 });
      this.clients.set(node.name, d);
    }
    return d;
  }

  /** A Ground whose engine is this node's: the single-node helpers work unchanged against it. */
  ground(node: ClusterNode = this.nodes[0]!): Ground {
    const s = this.state;
    const state: GroundState = {
      root: s.root,
      binaries: s.binaries,
      engine: s.engine,
      engineVersion: s.engineVersion ?? s.engine.name,
      dockerd: { dir: node.dir, socket: node.socket, pid: node.pid, swarmPort: SWARM_PORT },
      registry: s.registry!,
      bao: s.bao!,
      baseImage: s.baseImage,
      startedMs: s.startedMs,
    };
    return new Ground(state);
  }

  /** Nodes whose engine runs and whose link is up. */
  reachable(): ClusterNode[] {
    return this.nodes.filter((n) => !this.down.has(n.name) && !this.cut.has(n.name));
  }

  /** The Swarm's node list as the first reachable manager with a leader sees it. */
  async swarmNodes(): Promise<SwarmNodeView[]> {
    let last: unknown;
    for (const n of this.reachable()) {
      try {
        return (await withTimeout(this.docker(n).listNodes(), 5000)) as unknown as SwarmNodeView[];
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no reachable manager answers: ${(last as Error | undefined)?.message ?? "none up"}`);
  }

  /** The cluster node a Swarm node is (by address, else hostname). */
  nodeOf(view: SwarmNodeView): ClusterNode | undefined {
    const addr = (view.ManagerStatus?.Addr ?? view.Status.Addr ?? "").split(":")[0];
    return (
      this.nodes.find((n) => n.ip === addr) ??
      this.nodes.find((n) => n.hostname === view.Description.Hostname)
    );
  }

  async leader(): Promise<ClusterNode> {
    const view = (await this.swarmNodes()).find((v) => v.ManagerStatus?.Leader);
    const node = view && this.nodeOf(view);
    if (!node) throw new Error("no leader known");
    return node;
  }

  /** Waits until a leader other than `not` is known (after a fault); returns it. */
  async waitLeader(not?: ClusterNode, timeoutMs = 90_000): Promise<ClusterNode> {
    return waitFor(
      `a leader${not ? ` other than ${not.name}` : ""}`,
      async () => {
        const l = await this.leader();
        return l.name === not?.name ? undefined : l;
      },
      timeoutMs,
      250,
    );
  }

  async killEngine(node: ClusterNode): Promise<void> {
    this.down.add(node.name);
    await endPid(node.pid, 0);
    if (!(await waitGone(node.pid, 10_000))) throw new Error(`dockerd of ${node.name} survived SIGKILL`);
  }

  async startEngine(node: ClusterNode): Promise<void> {
    await launchEngine(node, this.engineConfig());
    this.down.delete(node.name);
  }

  async restartEngine(node: ClusterNode): Promise<void> {
    this.down.add(node.name);
    await endPid(node.pid, 30_000);
    await this.startEngine(node);
  }

  async cutLink(node: ClusterNode): Promise<void> {
    this.cut.add(node.name);
    await setLink(node.veth, false);
  }

  async restoreLink(node: ClusterNode): Promise<void> {
    await setLink(node.veth, true);
    this.cut.delete(node.name);
  }

  /** Every running, linked engine sees all managers ready and reachable, and a leader. */
  async waitQuorum(timeoutMs = 120_000): Promise<void> {
    await waitFor(
      "every manager ready and reachable, with a leader",
      async () => {
        for (const n of this.reachable()) {
          const views = (await withTimeout(this.docker(n).listNodes(), 5000)) as unknown as SwarmNodeView[];
          const managers = views.filter((v) => v.ManagerStatus);
          const ok =
            managers.length === this.nodes.length &&
            managers.every(
              (v) => v.Status.State === "ready" && v.ManagerStatus!.Reachability === "reachable",
            ) &&
            managers.some((v) => v.ManagerStatus!.Leader);
          if (!ok) return undefined;
        }
        return true;
      },
      timeoutMs,
      500,
    );
  }

  /** A new node (engine in its own namespaces, same engine kind) joined as a manager. */
  async addManager(): Promise<ClusterNode> {
    const node = nodeAt(this.state, this.state.nodes.length + 1);
    this.state.nodes.push(node);
    fs.mkdirSync(node.dir, { recursive: true });
    this.save();
    await addNamespace(node.netns, node.veth, `${node.ip}/24`, this.state.bridge);
    await launchEngine(node, this.engineConfig());
    const leader = await this.leader();
    const info = (await this.docker(leader).swarmInspect()) as { JoinTokens: { Manager: string } };
    await this.docker(node).swarmJoin({
      ListenAddr: `${node.ip}:${SWARM_PORT}`,
      AdvertiseAddr: `${node.ip}:${SWARM_PORT}`,
      RemoteAddrs: [`${leader.ip}:${SWARM_PORT}`],
      JoinToken: info.JoinTokens.Manager,
    });
    await this.waitQuorum(90_000);
    return node;
  }

  engineConfig() {
    return { engine: this.state.engine, experimental: this.state.experimental, registry: this.registry };
  }

  save(): void {
    fs.writeFileSync(path.join(this.state.root, "cluster.json"), JSON.stringify(this.state, null, 2));
  }
}

/** The i-th node's names, folders and address on the ground's bridge. */
function nodeAt(state: ClusterState, i: number): ClusterNode {
  const { root, tag } = state;
  return {
    name: `n${i}`,
    ip: `${state.subnet}.${10 + i}`,
    dir: path.join(root, `n${i}`),
    runDir: path.join(root, `r${i}`),
    socket: path.join(root, `r${i}`, "docker.sock"),
    pid: 0,
    netns: `vc${tag}-n${i}`,
    veth: `vc${tag}n${i}`,
    hostname: `vc${tag}-n${i}`,
    cgroup: `vc${tag}-n${i}`,
    netnsIno: 0,
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function timed<T>(what: string, times: Record<string, number>, fn: () => Promise<T>): Promise<T> {
  const t = Date.now();
  try {
    return await fn();
  } finally {
    times[what] = Date.now() - t;
  }
}

/**
 * Under the runner or the bench (VSP_CLUSTER_LIST set), each cluster's folder is appended to that
 * list, so whoever started the process can stop a cluster it had to kill the process of.
 */
function recordClusterRoot(root: string): void {
  const list = process.env.VSP_CLUSTER_LIST;
  if (list) fs.appendFileSync(list, `${root}\n`);
}

/** Stops every cluster in `list` (a VSP_CLUSTER_LIST file) that is still there, and removes the list. */
export async function stopLeftClusters(list: string): Promise<string[]> {
  if (!fs.existsSync(list)) return [];
  const stopped: string[] = [];
  for (const root of fs.readFileSync(list, "utf8").split("\n").filter(Boolean)) {
    const stateFile = path.join(root, "cluster.json");
    if (!fs.existsSync(stateFile)) {
      fs.rmSync(root, { recursive: true, force: true });
      continue;
    }
    await stopCluster(new Cluster(JSON.parse(fs.readFileSync(stateFile, "utf8")) as ClusterState));
    stopped.push(root);
  }
  fs.rmSync(list, { force: true });
  return stopped;
}

export async function startCluster(
  opts: { managers?: number; experimental?: boolean } = {},
): Promise<Cluster> {
  const started = Date.now();
  const managers = opts.managers ?? 3;
  const binaries = await ensurePrereqs(log);
  const engine = testEngine(binaries.dockerd);
  await ensureNetTools(log);
  const tag = newTag();
  // Short: a plugin socket is <root>/rN/docker/plugins/<64 hex>/vsp.sock, at most 107 bytes.
  const root = fs.mkdtempSync("/tmp/vc");
  recordClusterRoot(root);
  fs.mkdirSync(path.join(root, "docker-config"));
  fs.writeFileSync(path.join(root, "docker-config", "config.json"), "{}\n");
  const state: ClusterState = {
    tag,
    root,
    subnet: "",
    bridge: `vc${tag}br`,
    servicesNetns: `vc${tag}-svc`,
    servicesVeth: `vc${tag}s`,
    binaries,
    engine,
    experimental: opts.experimental ?? true,
    nodes: [],
    baseImage: "",
    startedMs: 0,
  };
  const cluster = new Cluster(state);
  const times: Record<string, number> = {};
  try {
    state.subnet = await pickSubnet();
    const svcIp = `${state.subnet}.2`;
    await timed("network", times, async () => {
      await createBridge(state.bridge, `${state.subnet}.1/24`);
      state.forwardRule = await allowBridgeForward(state.bridge);
      await addNamespace(state.servicesNetns, state.servicesVeth, `${svcIp}/24`, state.bridge);
      for (let i = 1; i <= managers; i++) {
        const node = nodeAt(state, i);
        state.nodes.push(node);
        fs.mkdirSync(node.dir, { recursive: true });
        await addNamespace(node.netns, node.veth, `${node.ip}/24`, state.bridge);
      }
    });
    cluster.save();
    const listen = { host: svcIp, netns: state.servicesNetns };
    await timed("engines, registry, OpenBao", times, async () => {
      const registry = startRegistry(binaries["docker-registry"], path.join(root, "registry"), 5000, listen);
      const bao = startOpenBao(binaries.bao, path.join(root, "openbao"), "dev", { ...listen, port: 8200 });
      // The engines need the registry's address only (for --insecure-registry), not the registry.
      const config = { engine, experimental: state.experimental, registry: `${svcIp}:5000` };
      const engines = Promise.all(state.nodes.map((n) => launchEngine(n, config)));
      const settled = await Promise.allSettled([registry, bao, engines]);
      if (settled[0].status === "fulfilled") state.registry = settled[0].value;
      if (settled[1].status === "fulfilled") state.bao = settled[1].value;
      const failed = settled.find((r) => r.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    });
    cluster.save();
    const first = state.nodes[0]!;
    const d0 = cluster.docker(first);
    state.engineVersion = await runningEngine(d0, engine);
    await timed("swarm", times, async () => {
      await d0.swarmInit({
        ListenAddr: `${first.ip}:${SWARM_PORT}`,
        AdvertiseAddr: `${first.ip}:${SWARM_PORT}`,
        ForceNewCluster: false,
      });
      const info = (await d0.swarmInspect()) as { JoinTokens: { Manager: string } };
      for (const n of state.nodes.slice(1)) {
        await cluster.docker(n).swarmJoin({
          ListenAddr: `${n.ip}:${SWARM_PORT}`,
          AdvertiseAddr: `${n.ip}:${SWARM_PORT}`,
          RemoteAddrs: [`${first.ip}:${SWARM_PORT}`],
          JoinToken: info.JoinTokens.Manager,
        });
      }
      await cluster.waitQuorum(90_000);
    });
    await timed("base image", times, async () => {
      await buildBaseImage(d0, binaries.busybox, root);
      // In the registry, so that every node can pull it (nothing else can be pulled).
      const [repo, tagName] = BASE_IMAGE.split(":") as [string, string];
      const ref = `${cluster.registry}/${repo}`;
      await d0.getImage(BASE_IMAGE).tag({ repo: ref, tag: tagName });
      const stream = (await d0.getImage(`${ref}:${tagName}`).push({ authconfig: {} } as never)) as unknown;
      await followBuild(d0, stream as NodeJS.ReadableStream);
      state.baseImage = `${ref}:${tagName}`;
    });
    state.startedMs = Date.now() - started;
    cluster.save();
    log(
      `up in ${state.startedMs} ms (${JSON.stringify(times)}): ${managers} managers on ${state.subnet}.0/24, ` +
        `engine ${state.engineVersion}, leader ${(await cluster.leader()).name}, registry ${cluster.registry}, ` +
        `OpenBao ${state.bao!.addr}`,
    );
    return cluster;
  } catch (err) {
    log(`start failed: ${(err as Error).message}; tearing down`);
    await teardown(cluster).catch((e) => log(`teardown: ${(e as Error).message}`));
    throw err;
  }
}

export type { ClusterLeftovers };

export async function stopCluster(cluster: Cluster): Promise<ClusterLeftovers> {
  const t = Date.now();
  await teardown(cluster);
  const left = await clusterLeftovers(cluster.state);
  log(`torn down in ${Date.now() - t} ms`);
  return left;
}
