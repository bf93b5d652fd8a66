// The Docker engine connection, from DOCKER_HOST like the docker CLI. The only place that builds a client.
import fs from "node:fs";
import path from "node:path";
import type DockerModem from "docker-modem";
import Docker from "dockerode";
import { DEFAULT_DOCKER_SOCKET } from "../../common/contract.js";
import { describe, UsageError, VspError } from "../errors.js";

declare const engineBrand: unique symbol;

/**
 * The engine connection that commands and services pass around. It has no methods: only the
 * modules of src/docker/ (one per engine resource) talk to the engine, through dockerApi().
 */
export type Engine = { readonly [engineBrand]: "a Docker engine" };

/** An Engine for a dockerode client built elsewhere (the test ground's). */
export function engineFrom(docker: Docker): Engine {
  return docker as unknown as Engine;
}

/** For the modules of src/docker/ only: the dockerode client behind an Engine. */
export function dockerApi(engine: Engine): Docker {
  return engine as unknown as Docker;
}

/**
 * The engine DOCKER_HOST names, read as the docker CLI reads it: unix://, tcp:// (https with
 * DOCKER_TLS_VERIFY=1 or port 2376, client certificates from DOCKER_CERT_PATH) and ssh://
 * (user@host:port, keys from SSH_AUTH_SOCK's agent, as docker-modem does).
 */
export function connectEngine(env: NodeJS.ProcessEnv = process.env): Engine {
  return engineFrom(dockerClient(env));
}

function dockerClient(env: NodeJS.ProcessEnv): Docker {
  const timeout = 120_000;
  const host = env.DOCKER_HOST;
  if (!host) return new Docker({ socketPath: DEFAULT_DOCKER_SOCKET, timeout });
  if (host.startsWith("unix://"))
    return new Docker({ socketPath: host.slice(7) || DEFAULT_DOCKER_SOCKET, timeout });
  let url: URL;
  try {
    url = new URL(host.includes("//") ? host : `tcp://${host}`);
  } catch {
    throw new UsageError(
      `DOCKER_HOST="${host.slice(0, 100)}" is not unix://PATH, tcp://HOST:PORT or ssh://USER@HOST`,
    );
  }
  if (url.protocol === "ssh:") {
    return new Docker({
      protocol: "ssh",
      host: url.hostname,
      port: Number(url.port || 22),
      username: decodeURIComponent(url.username) || undefined,
      sshOptions: { agent: env.SSH_AUTH_SOCK },
      timeout,
    } as Docker.DockerOptions);
  }
  if (!["tcp:", "http:", "https:"].includes(url.protocol))
    throw new UsageError(
      `DOCKER_HOST="${host.slice(0, 100)}" is not unix://PATH, tcp://HOST:PORT or ssh://USER@HOST`,
    );
  const tls = url.protocol === "https:" || env.DOCKER_TLS_VERIFY === "1" || url.port === "2376";
  const certs = env.DOCKER_CERT_PATH && tls ? readCerts(env.DOCKER_CERT_PATH) : {};
  return new Docker({
    host: url.hostname,
    port: Number(url.port || (tls ? 2376 : 2375)),
    protocol: tls ? "https" : "http",
    ...certs,
    timeout,
  });
}

function readCerts(dir: string): { ca: Buffer; cert: Buffer; key: Buffer } {
  try {
    return {
      ca: fs.readFileSync(path.join(dir, "ca.pem")),
      cert: fs.readFileSync(path.join(dir, "cert.pem")),
      key: fs.readFileSync(path.join(dir, "key.pem")),
    };
  } catch (err) {
    throw new UsageError(
      `DOCKER_CERT_PATH=${dir}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"} reading ca.pem, cert.pem, key.pem`,
      "point DOCKER_CERT_PATH at the directory with the engine's client certificates",
    );
  }
}

export function engineAddress(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST ?? `unix://${DEFAULT_DOCKER_SOCKET}`;
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

export async function pingEngine(engine: Engine): Promise<void> {
  await dockerApi(engine).ping();
}

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
  const request: DockerModem.DialOptions = {
    path: o.query ? `${o.path}?` : o.path,
    method: o.method,
    options: {
      ...(o.query ? { _query: o.query } : {}),
      ...(o.json !== undefined ? { _body: o.json } : {}),
    },
    ...(o.body ? { file: o.body } : {}),
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
  };
  return new Promise((resolve, reject) => {
    dockerApi(engine).modem.dial(request, (err: unknown, data: unknown) =>
      err ? reject(err) : resolve(data as T),
    );
  });
}
