// One manager of the multi-manager ground: a private dockerd in its own network namespace and
// its own mount namespace, started as
//   nsenter --net=/run/netns/<ns> unshare -m -u --propagation private <node dir>/start.sh
// (not `ip netns exec`: it remounts /sys and dockerd then misses the devices cgroup). The script
// bind-mounts the node's run folder on /run, so /run/docker.sock, /run/docker/plugins and
// /run/containerd belong to the node and survive an engine restart.
import fs from "node:fs";
import path from "node:path";
import Docker from "dockerode";
import { daemonJson, engineEnv, type TestEngine } from "./engine.js";
import { netnsInode } from "./netns.js";
import { processesMentioning, startDaemon } from "./process.js";

export interface ClusterNode {
  name: string;
  ip: string;
  /** Data-root, exec-root, pidfile, start script and dockerd.log of the node. */
  dir: string;
  /** The node's API socket as seen from the host: <run folder>/docker.sock. */
  socket: string;
  pid: number;
  netns: string;
  /** Host end of the node's veth pair (down = link cut). */
  veth: string;
  /** Hostname inside the node, as Swarm reports it. */
  hostname: string;
  /** The node's /run (plugin sockets under docker/plugins/<plugin id>/). */
  runDir: string;
  /** cgroup parent of the node's containers (one folder per controller). */
  cgroup: string;
  /** Inode of the node's network namespace (valid while /run/netns/<netns> exists). */
  netnsIno: number;
}

export interface EngineConfig {
  engine: TestEngine;
  /** Plugin services need it; installer mode runs without. */
  experimental: boolean;
  /** The cluster registry (host:port), insecure for every node. */
  registry: string;
}

/** Alive and not a zombie waiting for its parent. */
export function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Resolves when `pid` is gone (or a zombie), false after `ms`. */
export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (running(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** SIGTERM (unless graceMs is 0), SIGKILL after graceMs; bounded in every case. */
export async function endPid(pid: number, graceMs: number): Promise<void> {
  if (!running(pid)) return;
  try {
    process.kill(pid, graceMs > 0 ? "SIGTERM" : "SIGKILL");
  } catch {
    return;
  }
  if (graceMs > 0 && (await waitGone(pid, graceMs))) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    return;
  }
  await waitGone(pid, 10_000);
}

function nsInode(pid: number, kind: "net"): number {
  try {
    return fs.statSync(`/proc/${pid}/ns/${kind}`).ino;
  } catch {
    return 0;
  }
}

function cgroupOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cgroup`, "utf8");
  } catch {
    return "";
  }
}

/** Ids of the node's managed plugins: their cgroups do not follow --cgroup-parent. */
function pluginIds(node: ClusterNode): string[] {
  try {
    return fs.readdirSync(path.join(node.dir, "data", "plugins")).filter((e) => /^[0-9a-f]{64}$/.test(e));
  } catch {
    return [];
  }
}

/**
 * Processes of a node: dockerd, containerd and shims (they name the node's folders), containers
 * (in its cgroup parent), plugins (cgroups named by their ids), anything else in its network
 * namespace while that exists.
 */
export function nodeProcesses(node: ClusterNode): { pid: number; cmd: string }[] {
  const found = new Map<number, string>();
  for (const p of [...processesMentioning(`${node.dir}/`), ...processesMentioning(`${node.runDir}/`)])
    found.set(p.pid, p.cmd);
  const hostNet = nsInode(process.pid, "net");
  const netns = node.netnsIno && netnsInode(node.netns) === node.netnsIno ? node.netnsIno : 0;
  const plugins = pluginIds(node).map((id) => `/${id}`);
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid || found.has(pid) || !running(pid)) continue;
    const net = netns ? nsInode(pid, "net") : 0;
    const cgroup = cgroupOf(pid);
    const mine =
      (netns && net === netns && net !== hostNet) ||
      cgroup.includes(`:/${node.cgroup}/`) ||
      plugins.some((id) => cgroup.includes(id));
    if (mine) {
      let cmd = "";
      try {
        cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
      } catch {
        // exited meanwhile
      }
      found.set(pid, cmd);
    }
  }
  return [...found].map(([pid, cmd]) => ({ pid, cmd }));
}

function startScript(node: ClusterNode, cfg: EngineConfig): string {
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const args = [
    ...(cfg.experimental ? ["--experimental"] : []),
    `--config-file=${path.join(node.dir, "daemon.json")}`,
    `--data-root=${path.join(node.dir, "data")}`,
    `--exec-root=${path.join(node.dir, "exec")}`,
    `--pidfile=${path.join(node.dir, "dockerd.pid")}`,
    "-H",
    "unix:///run/docker.sock",
    "--bridge=none",
    "--iptables=false",
    "--ip-masq=false",
    "--userland-proxy=false",
    `--cgroup-parent=/${node.cgroup}`,
    "--insecure-registry",
    cfg.registry,
    "--log-level=warn",
  ];
  return [
    "#!/bin/sh",
    "set -e",
    `mount --bind ${q(node.runDir)} /run`,
    `hostname ${q(node.hostname)}`,
    "ip link set lo up",
    `exec ${q(cfg.engine.dockerd)} ${args.map(q).join(" ")}`,
    "",
  ].join("\n");
}

/** Starts (or starts again: same folders, swarm state persists) the node's dockerd; waits until it answers. */
export async function launchEngine(node: ClusterNode, cfg: EngineConfig, timeoutMs = 60_000): Promise<void> {
  for (const sub of ["data", "exec"]) fs.mkdirSync(path.join(node.dir, sub), { recursive: true });
  fs.mkdirSync(node.runDir, { recursive: true });
  fs.writeFileSync(path.join(node.dir, "daemon.json"), daemonJson(cfg.engine));
  const script = path.join(node.dir, "start.sh");
  fs.writeFileSync(script, startScript(node, cfg), { mode: 0o755 });
  // A killed dockerd leaves its pidfile; dockerd refuses to start while that pid exists.
  const pidfile = path.join(node.dir, "dockerd.pid");
  if (fs.existsSync(pidfile) && !running(Number(fs.readFileSync(pidfile, "utf8").trim()))) fs.rmSync(pidfile);
  const env = engineEnv(cfg.engine);
  const daemon = startDaemon(
    "nsenter",
    [`--net=/run/netns/${node.netns}`, "unshare", "-m", "-u", "--propagation", "private", script],
    path.join(node.dir, "dockerd.log"),
    env,
  );
  node.pid = daemon.child.pid!;
  const docker = new Docker({ socketPath: node.socket, timeout: 5000 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
      const log = fs.readFileSync(daemon.logFile, "utf8").slice(-800);
      throw new Error(`dockerd of ${node.name} exited: ${log}`);
    }
    if (await docker.ping().catch(() => false)) break;
    if (Date.now() > deadline) throw new Error(`dockerd of ${node.name} did not answer in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
  node.netnsIno = netnsInode(node.netns);
}
