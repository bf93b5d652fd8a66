// Direct requests to the plugin as installed in the swarm, on its socket under /run/docker/plugins.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { GetSecretResponse } from "../../common/contract.js";
import type { Ground } from "../ground/ground.js";
import { findPluginPid, rssKb } from "./procs.js";

export async function pluginSocket(ground: Ground, name = "vsp"): Promise<string> {
  const plugins = (await ground.docker.listPlugins({})) as unknown as {
    Id: string;
    Name: string;
    Enabled: boolean;
  }[];
  const p = plugins.find((x) => x.Name === `${name}:latest` && x.Enabled);
  if (!p) throw new Error(`plugin ${name} is not enabled on the ground`);
  return path.join("/run/docker/plugins", p.Id, "vsp.sock");
}

export interface RawAnswer {
  status: number;
  body: GetSecretResponse & Record<string, unknown>;
  text: string;
}

export function postRaw(
  socket: string,
  urlPath: string,
  body: string | Buffer,
  timeoutMs = 30_000,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: socket,
        path: urlPath,
        method: "POST",
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: RawAnswer["body"] = {};
          try {
            parsed = JSON.parse(text);
          } catch {
            // leave empty: the caller asserts on it
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error("plugin did not answer in time")));
    req.on("error", reject);
    req.end(body);
  });
}

export function getSecret(socket: string, request: Record<string, unknown>): Promise<RawAnswer> {
  return postRaw(socket, "/SecretProvider.GetSecret", JSON.stringify(request));
}

export function decoded(answer: RawAnswer): string | undefined {
  return answer.body.Value === undefined
    ? undefined
    : Buffer.from(answer.body.Value, "base64").toString("utf8");
}

export interface StreamStats {
  sent: number;
  ok: number;
  failed: number;
  wrong: number;
  errors: string[];
  maxMs: number;
}

/**
 * A steady stream of GetSecret requests (each a new task) until `stop()` is called; `check`
 * says whether a value is right. Bounded: at most `maxRequests`.
 */
export function requestStream(
  socket: string,
  make: (i: number) => Record<string, unknown>,
  check: (value: string) => boolean,
  intervalMs = 50,
  maxRequests = 20_000,
): { stop: () => Promise<StreamStats>; stats: StreamStats } {
  const stats: StreamStats = { sent: 0, ok: 0, failed: 0, wrong: 0, errors: [], maxMs: 0 };
  let running = true;
  const loop = (async () => {
    while (running && stats.sent < maxRequests) {
      const started = Date.now();
      stats.sent++;
      try {
        const a = await getSecret(socket, make(stats.sent));
        const v = decoded(a);
        if (v === undefined) {
          stats.failed++;
          if (stats.errors.length < 20) stats.errors.push(String(a.body.Err));
        } else if (!check(v)) stats.wrong++;
        else stats.ok++;
      } catch (err) {
        stats.failed++;
        if (stats.errors.length < 20) stats.errors.push((err as Error).message);
      }
      stats.maxMs = Math.max(stats.maxMs, Date.now() - started);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    stats,
    stop: async () => {
      running = false;
      await loop;
      return stats;
    },
  };
}

/** The plugin's process on this host: its pid, resident memory and start time. */
export async function pluginProcess(
  ground: Ground,
  name = "vsp",
): Promise<{ pid: number; rssKb: number; startTicks: string }> {
  const plugins = (await ground.docker.listPlugins({})) as unknown as { Id: string; Name: string }[];
  const id = plugins.find((p) => p.Name === `${name}:latest`)?.Id;
  const pid = id ? findPluginPid(id) : undefined;
  if (!pid) throw new Error(`no process of plugin ${name}`);
  const startTicks = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[19]!;
  return { pid, rssKb: rssKb(pid), startTicks };
}
