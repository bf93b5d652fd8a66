// A private registry (Debian's docker-registry) on a free loopback port, or on a given address
// inside a network namespace (the multi-manager ground).
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { freePort, startDaemon, stopPid, waitFor } from "./process.js";

export interface RegistryState {
  address: string;
  pid: number;
  dir: string;
}

export function registryAnswers(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`http://${address}/v2/`, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.setTimeout(2000, () => req.destroy());
  });
}

export interface ListenOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Run inside this network namespace (a name under /run/netns), through nsenter. */
  netns?: string;
}

/** The command and arguments that run `bin` in a network namespace (nsenter execs: same pid). */
export function inNetns(netns: string | undefined, bin: string, args: string[]): [string, string[]] {
  return netns ? ["nsenter", [`--net=/run/netns/${netns}`, bin, ...args]] : [bin, args];
}

export async function startRegistry(
  bin: string,
  dir: string,
  port?: number,
  o: ListenOptions = {},
): Promise<RegistryState> {
  fs.mkdirSync(path.join(dir, "storage"), { recursive: true });
  const listen = port ?? (await freePort());
  const host = o.host ?? "127.0.0.1";
  const config = path.join(dir, "config.yml");
  fs.writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: warn",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${path.join(dir, "storage")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: ${host}:${listen}`,
      "",
    ].join("\n"),
  );
  const [cmd, args] = inNetns(o.netns, bin, ["serve", config]);
  const daemon = startDaemon(cmd, args, path.join(dir, "registry.log"));
  const address = `${host}:${listen}`;
  await waitFor("the registry to answer", async () => (await registryAnswers(address)) || undefined, 30_000);
  return { address, pid: daemon.child.pid!, dir };
}

export async function stopRegistry(state: RegistryState): Promise<void> {
  await stopPid(state.pid);
}
