// A private registry (Debian's docker-registry) on a free loopback port.
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

export async function startRegistry(bin: string, dir: string, port?: number): Promise<RegistryState> {
  fs.mkdirSync(path.join(dir, "storage"), { recursive: true });
  const listen = port ?? (await freePort());
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
      `  addr: 127.0.0.1:${listen}`,
      "",
    ].join("\n"),
  );
  const daemon = startDaemon(bin, ["serve", config], path.join(dir, "registry.log"));
  const address = `127.0.0.1:${listen}`;
  await waitFor("the registry to answer", async () => (await registryAnswers(address)) || undefined, 30_000);
  return { address, pid: daemon.child.pid!, dir };
}

export async function stopRegistry(state: RegistryState): Promise<void> {
  await stopPid(state.pid);
}
