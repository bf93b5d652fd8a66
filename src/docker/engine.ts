// The Docker engine connection, from DOCKER_HOST like the docker CLI. The only place that builds a client.
import Docker from "dockerode";
import { describe, UsageError, VspError } from "../errors.js";

export type Engine = Docker;

export function connectEngine(env: NodeJS.ProcessEnv = process.env): Engine {
  const host = env.DOCKER_HOST;
  if (!host) return new Docker({ socketPath: "/var/run/docker.sock", timeout: 120_000 });
  if (host.startsWith("unix://")) return new Docker({ socketPath: host.slice(7), timeout: 120_000 });
  const m = host.match(/^(tcp|http|https):\/\/([^:/]+):?(\d+)?/);
  if (!m) throw new UsageError(`DOCKER_HOST="${host}" is not unix://PATH or tcp://HOST:PORT`);
  const tls = m[1] === "https" || env.DOCKER_TLS_VERIFY === "1";
  return new Docker({
    host: m[2],
    port: Number(m[3] ?? (tls ? 2376 : 2375)),
    protocol: tls ? "https" : "http",
    timeout: 120_000,
  });
}

export function engineAddress(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
}

const CONNECT_ERRORS = new Set([
  "ENOENT",
  "ECONNREFUSED",
  "EACCES",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "ECONNRESET",
  "ENOTFOUND",
  "EPIPE",
]);

/** The one message for an engine that cannot be reached, whichever command met it. */
export function engineUnreachable(address: string, err: unknown): VspError {
  return new VspError(
    `cannot reach the Docker engine at ${address}: ${describe(err)}`,
    (err as { code?: string })?.code === "EACCES"
      ? "run vsp as a user that may use the Docker socket (root or the docker group), or point DOCKER_HOST at a swarm manager"
      : "start Docker, or point DOCKER_HOST at a swarm manager",
  );
}

/** True for a socket-level failure to talk to the engine (not an API error answer). */
export function isConnectError(err: unknown): boolean {
  const e = err as { code?: string; statusCode?: number; syscall?: string };
  return !e?.statusCode && typeof e?.code === "string" && CONNECT_ERRORS.has(e.code);
}

/** Runs a removal; an object that is already gone (404) is fine. */
export async function ignoreNotFound(remove: Promise<unknown>): Promise<void> {
  try {
    await remove;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
}

interface DialOptions {
  method: "GET" | "POST" | "DELETE";
  /** Path without query; `query` is appended. */
  path: string;
  query?: Record<string, string>;
  json?: unknown;
  body?: NodeJS.ReadableStream;
  headers?: Record<string, string>;
  statusCodes?: Record<number, boolean | string>;
  isStream?: boolean;
}

/** A raw API call through dockerode's modem, for the endpoints dockerode does not cover well. */
export function dial<T = unknown>(engine: Engine, o: DialOptions): Promise<T> {
  return new Promise((resolve, reject) => {
    engine.modem.dial(
      {
        path: o.query ? `${o.path}?` : o.path,
        method: o.method,
        options: {
          ...(o.query ? { _query: o.query } : {}),
          ...(o.json !== undefined ? { _body: o.json } : {}),
        },
        file: o.body as never,
        headers: o.headers ?? {},
        isStream: o.isStream ?? false,
        statusCodes: o.statusCodes ?? {
          200: true,
          201: true,
          204: true,
          400: "bad request",
          404: "not found",
          409: "conflict",
          500: "server error",
        },
      } as never,
      (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as T)),
    );
  });
}
