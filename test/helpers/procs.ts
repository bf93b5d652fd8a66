// The ground's own processes in /proc (never another ground's: matched by plugin id and ground
// root), their RSS and CPU time.
import fs from "node:fs";
import type { Ground } from "../ground/ground.js";

const CLK_TCK = 100;

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
  } catch {
    return "";
  }
}

function pids(): number[] {
  return fs
    .readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
}

function statusField(pid: number, field: string): string | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return text.match(new RegExp(`^${field}:\\s+(.*)$`, "m"))?.[1];
  } catch {
    return undefined;
  }
}

/** The node process running /vsp/plugin.cjs for this plugin id (its cgroup or its shim names the id). */
export function findPluginPid(pluginId: string): number | undefined {
  if (!/^[0-9a-f]{64}$/.test(pluginId)) throw new Error(`not a plugin id: ${pluginId.slice(0, 80)}`);
  for (const pid of pids()) {
    if (!cmdline(pid).includes("/vsp/plugin.cjs")) continue;
    let cgroup = "";
    try {
      cgroup = fs.readFileSync(`/proc/${pid}/cgroup`, "utf8");
    } catch {
      continue;
    }
    const ppid = Number(statusField(pid, "PPid") ?? 0);
    if (cgroup.includes(pluginId) || cmdline(ppid).includes(`-id ${pluginId}`)) return pid;
  }
  return undefined;
}

export function rssKb(pid: number): number {
  const v = statusField(pid, "VmRSS");
  if (!v) throw new Error(`process ${pid} is gone`);
  return Number.parseInt(v, 10);
}

/** utime + stime of a process in ms (0 when it is gone). */
export function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): utime is field 14, stime field 15.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}

export interface Watched {
  name: string;
  pid: number;
}

/** The processes whose CPU the overhead measurement accounts: this bench, plugin, its shim, dockerd, containerd, OpenBao. */
export function groundProcesses(ground: Ground, pluginId: string): Watched[] {
  const out: Watched[] = [{ name: "bench client", pid: process.pid }];
  const plugin = findPluginPid(pluginId);
  if (plugin) {
    out.push({ name: "plugin", pid: plugin });
    out.push({ name: "plugin shim", pid: Number(statusField(plugin, "PPid") ?? 0) });
  }
  out.push({ name: "dockerd", pid: ground.state.dockerd.pid });
  const containerd = pids().find((p) => {
    const c = cmdline(p);
    return c.startsWith("containerd ") && c.includes(ground.state.dockerd.dir);
  });
  if (containerd) out.push({ name: "containerd", pid: containerd });
  out.push({ name: "OpenBao", pid: ground.state.bao.pid });
  return out;
}

export function cpuSnapshot(watched: Watched[]): Record<string, number> {
  const snap: Record<string, number> = {};
  for (const w of watched) {
    if (w.pid === process.pid) {
      const u = process.cpuUsage();
      snap[w.name] = (u.user + u.system) / 1000;
    } else snap[w.name] = cpuMs(w.pid);
  }
  return snap;
}

export function cpuDelta(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const d: Record<string, number> = {};
  for (const k of Object.keys(before)) d[k] = (after[k] ?? 0) - (before[k] ?? 0);
  return d;
}
