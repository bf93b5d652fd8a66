// Teardown of the multi-manager ground, bounded at every step, and the check that nothing is left:
// engines stopped by pid (SIGTERM, then SIGKILL), containerd, shims, containers and plugins of each
// node killed, registry and OpenBao stopped, namespaces, veths, bridge and iptables rule deleted,
// anything mounted under the ground's folder unmounted, cgroups and folders removed.
import fs from "node:fs";
import path from "node:path";
import type { Cluster, ClusterState } from "./cluster.js";
import { endPid, nodeProcesses } from "./cluster-node.js";
import type { Leftovers } from "./ground.js";
import {
  deleteLink,
  deleteNamespace,
  forwardRulesMatching,
  linksMatching,
  namespacesMatching,
  removeForwardRule,
} from "./netns.js";
import { execFileP, mountsUnder, processesMentioning } from "./process.js";

export interface ClusterLeftovers extends Leftovers {
  namespaces: string[];
  links: string[];
  rules: string[];
}

export async function teardown(cluster: Cluster): Promise<void> {
  const s = cluster.state;
  // Graceful first: dockerd stops its containers, plugins and containerd.
  await Promise.all(s.nodes.map((n) => (n.pid ? endPid(n.pid, 20_000) : Promise.resolve())));
  for (let round = 0; round < 3; round++) {
    const left = s.nodes.flatMap((n) => nodeProcesses(n));
    if (!left.length) break;
    await Promise.all(left.map((p) => endPid(p.pid, round === 0 ? 3000 : 0)));
  }
  await Promise.all([
    s.registry ? endPid(s.registry.pid, 5000) : undefined,
    s.bao ? endPid(s.bao.pid, 5000) : undefined,
  ]);
  for (const p of processesMentioning(`${s.root}/`)) await endPid(p.pid, 2000);
  await removeForwardRule(s.forwardRule);
  for (const ns of [...s.nodes.map((n) => n.netns), s.servicesNetns]) await deleteNamespace(ns);
  for (const link of [...s.nodes.map((n) => n.veth), s.servicesVeth, s.bridge]) await deleteLink(link);
  for (const point of mountsUnder(s.root))
    await execFileP("umount", ["-l", point], { timeout: 10_000 }).catch(() => undefined);
  for (const n of s.nodes) removeCgroups(n.cgroup);
  fs.rmSync(s.root, { recursive: true, force: true, maxRetries: 3 });
}

function cgroupDirs(name: string): string[] {
  const out: string[] = [];
  try {
    for (const ctrl of fs.readdirSync("/sys/fs/cgroup")) {
      const dir = path.join("/sys/fs/cgroup", ctrl, name);
      if (fs.existsSync(dir)) out.push(dir);
    }
    // cgroup v2: the folder is right under /sys/fs/cgroup
    if (fs.existsSync(path.join("/sys/fs/cgroup", name))) out.push(path.join("/sys/fs/cgroup", name));
  } catch {
    // no cgroup fs
  }
  return [...new Set(out)];
}

function removeCgroups(name: string): void {
  for (const dir of cgroupDirs(name)) {
    // Children first (container folders dockerd did not remove).
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true }))
        if (e.isDirectory()) walk(path.join(d, e.name));
      try {
        fs.rmdirSync(d);
      } catch {
        // still in use, or already gone
      }
    };
    try {
      walk(dir);
    } catch {
      // gone meanwhile
    }
  }
}

export async function clusterLeftovers(state: ClusterState): Promise<ClusterLeftovers> {
  const prefix = new RegExp(`^vc${state.tag}`);
  const processes = [
    ...processesMentioning(`${state.root}/`),
    ...state.nodes.flatMap((n) => nodeProcesses(n)),
  ].map((p) => `${p.pid} ${p.cmd.slice(0, 120)}`);
  return {
    processes: [...new Set(processes)],
    mounts: mountsUnder(state.root),
    paths: [state.root, ...state.nodes.flatMap((n) => cgroupDirs(n.cgroup))].filter((p) => fs.existsSync(p)),
    namespaces: await namespacesMatching(prefix),
    links: linksMatching(prefix),
    rules: await forwardRulesMatching(prefix),
  };
}
