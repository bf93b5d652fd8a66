// Network plumbing of the multi-manager ground: a host bridge on a private /24, one network
// namespace per node (veth pair into the bridge, no default route: nothing can leave the subnet),
// and an ACCEPT rule for the bridge when bridge netfilter would drop forwarded frames.
// Every name starts with "vc" + a 4-hex tag, so leftovers are easy to find (NET_NAME_RE).
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { execFileP } from "./process.js";

export const NET_NAME_RE = /^vc[0-9a-f]{4}/;

/** `ip` (iproute2), `nsenter` and `unshare` (util-linux); iproute2 is installed if missing, as root on Debian. */
export async function ensureNetTools(log: (m: string) => void): Promise<void> {
  const has = (bin: string) =>
    ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].some((d) => fs.existsSync(`${d}/${bin}`));
  if (!has("ip")) {
    if (process.getuid?.() !== 0 || !fs.existsSync("/etc/debian_version"))
      throw new Error("the multi-manager ground needs ip: install iproute2");
    log("installing Debian package iproute2 for ip");
    await execFileP("apt-get", ["update", "-qq"], { maxBuffer: 64 << 20 });
    await execFileP("apt-get", ["install", "-y", "-qq", "iproute2"], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      maxBuffer: 64 << 20,
    });
  }
  for (const bin of ["nsenter", "unshare"])
    if (!has(bin)) throw new Error(`the multi-manager ground needs ${bin}: install util-linux`);
}

export async function ip(args: string[]): Promise<string> {
  const { stdout } = await execFileP("ip", args, { timeout: 15_000 });
  return stdout;
}

export function newTag(): string {
  return randomBytes(2).toString("hex");
}

function toInt(addr: string): number {
  return addr.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

function range(cidr: string): [number, number] {
  const [addr, len] = cidr.split("/");
  const bits = len === undefined ? 32 : Number(len);
  const size = 2 ** (32 - bits);
  const start = Math.floor(toInt(addr!) / size) * size;
  return [start, start + size - 1];
}

/** A 10.77.N prefix whose /24 overlaps no host route or address (IPv4, every table). */
export async function pickSubnet(): Promise<string> {
  const used: [number, number][] = [];
  const routes = JSON.parse(await ip(["-j", "-4", "route", "show", "table", "all"])) as { dst?: string }[];
  for (const r of routes) if (r.dst && r.dst !== "default") used.push(range(r.dst));
  const addrs = JSON.parse(await ip(["-j", "-4", "addr", "show"])) as {
    addr_info?: { local?: string; prefixlen?: number }[];
  }[];
  for (const a of addrs)
    for (const i of a.addr_info ?? []) if (i.local) used.push(range(`${i.local}/${i.prefixlen ?? 32}`));
  const start = randomBytes(1)[0]!;
  for (let k = 0; k < 256; k++) {
    const n = (start + k) % 256;
    const [lo, hi] = range(`10.77.${n}.0/24`);
    if (!used.some(([a, b]) => a <= hi && lo <= b)) return `10.77.${n}`;
  }
  throw new Error("no free 10.77.N.0/24 subnet on this host");
}

export async function createBridge(name: string, hostCidr: string): Promise<void> {
  await ip(["link", "add", name, "type", "bridge"]);
  await ip(["addr", "add", hostCidr, "dev", name]);
  await ip(["link", "set", name, "up"]);
}

/** A namespace whose eth0 is the peer of `veth` (on the host, in `bridge`), with `cidr` and lo up. */
export async function addNamespace(ns: string, veth: string, cidr: string, bridge: string): Promise<void> {
  await ip(["netns", "add", ns]);
  await ip(["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns]);
  await ip(["-n", ns, "addr", "add", cidr, "dev", "eth0"]);
  await ip(["-n", ns, "link", "set", "eth0", "up"]);
  await ip(["-n", ns, "link", "set", "lo", "up"]);
  await ip(["link", "set", veth, "master", bridge, "up"]);
}

export async function setLink(name: string, up: boolean): Promise<void> {
  await ip(["link", "set", name, up ? "up" : "down"]);
}

/** Inode of a named namespace (to find its processes after it is deleted), or 0. */
export function netnsInode(ns: string): number {
  try {
    return fs.statSync(`/run/netns/${ns}`).ino;
  } catch {
    return 0;
  }
}

export async function deleteNamespace(ns: string): Promise<void> {
  await ip(["netns", "delete", ns]).catch(() => undefined);
}

export async function deleteLink(name: string): Promise<void> {
  if (fs.existsSync(`/sys/class/net/${name}`)) await ip(["link", "delete", name]).catch(() => undefined);
}

export async function namespacesMatching(re: RegExp): Promise<string[]> {
  const out = await ip(["netns", "list"]).catch(() => "");
  return out
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n && re.test(n));
}

export function linksMatching(re: RegExp): string[] {
  try {
    return fs.readdirSync("/sys/class/net").filter((n) => re.test(n));
  } catch {
    return [];
  }
}

async function iptablesBin(): Promise<string | undefined> {
  for (const c of ["/usr/sbin/iptables", "/sbin/iptables"]) if (fs.existsSync(c)) return c;
  return undefined;
}

function bridgeNetfilter(): boolean {
  try {
    return fs.readFileSync("/proc/sys/net/bridge/bridge-nf-call-iptables", "utf8").trim() === "1";
  } catch {
    return false;
  }
}

/**
 * With bridge netfilter on, frames between the namespaces go through FORWARD: when that chain
 * may drop (a policy other than ACCEPT, or any rule), allow the bridge's own traffic. Without an
 * iptables binary nothing can have set such rules (Docker needs it), so there is nothing to do.
 * Returns the rule it added, to be removed by `removeForwardRule`.
 */
export async function allowBridgeForward(bridge: string): Promise<string[] | undefined> {
  const bin = await iptablesBin();
  if (!bin || !bridgeNetfilter()) return undefined;
  const { stdout } = await execFileP(bin, ["-w", "5", "-S", "FORWARD"], { timeout: 15_000 });
  const lines = stdout.trim().split("\n");
  if (lines.length === 1 && lines[0] === "-P FORWARD ACCEPT") return undefined;
  const rule = ["FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT"];
  await execFileP(bin, ["-w", "5", "-I", ...rule], { timeout: 15_000 });
  return rule;
}

export async function removeForwardRule(rule: string[] | undefined): Promise<void> {
  const bin = await iptablesBin();
  if (!rule || !bin) return;
  await execFileP(bin, ["-w", "5", "-D", ...rule], { timeout: 15_000 }).catch(() => undefined);
}

/** FORWARD rules that name a ground bridge (should be none after teardown). */
export async function forwardRulesMatching(re: RegExp): Promise<string[]> {
  const bin = await iptablesBin();
  if (!bin) return [];
  try {
    const { stdout } = await execFileP(bin, ["-w", "5", "-S", "FORWARD"], { timeout: 15_000 });
    return stdout.split("\n").filter((l) => l.split(" ").some((w) => re.test(w)));
  } catch {
    return [];
  }
}
