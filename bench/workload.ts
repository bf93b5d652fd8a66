// What the bench asks for, and the same Vault calls the plugin makes for it (plugin-src/provider.ts),
// made directly from this process.

import { READ_TOKEN_TTL_SECONDS, ReadTokens } from "../plugin-src/read-tokens.js";
import type { BenchRequest, DirectVault, PluginClient } from "./clients.js";
import { benchRequest } from "./clients.js";

export const BENCH_SERVICE = "bench_app";
export const BENCH_SECRET = "bench_db";
/** KV v2 secret the bench reads: secret/data/bench/app, field password. */
export const KV_SECRET = "bench/app";
export const KV_FIELD = "password";
export const TOKEN_ROLE = "vsp-task";
export const READ_ROLE = "vsp-task-read";
/** provider.ts: token tokens default to 1 h; vsp.wrap "true" = 300 s. */
const TOKEN_TTL = "3600s";
const WRAP_SECONDS = 300;

export type Kind = "kv" | "kv+wrap" | "token";
export const KINDS: Kind[] = ["kv", "kv+wrap", "token"];

export function labelsFor(kind: Kind): Record<string, string> {
  switch (kind) {
    case "kv":
      return { "vsp.path": `secret/${KV_SECRET}`, "vsp.field": KV_FIELD };
    case "kv+wrap":
      return { "vsp.path": `secret/${KV_SECRET}`, "vsp.field": KV_FIELD, "vsp.wrap": "true" };
    case "token":
      return { "vsp.type": "token" };
  }
}

export function requestFor(kind: Kind, service = BENCH_SERVICE): BenchRequest {
  return benchRequest(service, BENCH_SECRET, labelsFor(kind));
}

export interface Sides {
  plugin: PluginClient;
  /** bench/floor-proxy.ts on the host: the plugin's protocol layer and Vault client, nothing else (kv only). */
  floor?: PluginClient;
  direct: DirectVault;
  /** The plugin's own (bootstrap) token, read from the helper container like the plugin does. */
  bootstrapToken: string;
  /** The KV value, to check what came back (never printed). */
  expected: string;
}

function checkValue(kind: Kind, value: string, expected: string): void {
  if (kind === "kv" && value !== expected) throw new Error("kv value is not the stored one");
  if (kind !== "kv" && (value.length < 20 || value === expected))
    throw new Error(`${kind}: the value does not look like a token`);
}

/** One GetSecret through the plugin's socket. */
export async function viaPlugin(s: Sides, kind: Kind): Promise<void> {
  checkValue(kind, await s.plugin.getSecret(requestFor(kind)), s.expected);
}

/** One kv GetSecret through the floor proxy. */
export async function viaFloor(s: Sides): Promise<void> {
  if (!s.floor) throw new Error("no floor proxy running");
  checkValue("kv", await s.floor.getSecret(requestFor("kv")), s.expected);
}

function createBody(req: BenchRequest, bounds: { ttl: string; num_uses?: number }): Record<string, unknown> {
  return {
    policies: [`swarm-${req.ServiceName}`],
    display_name: req.ServiceName,
    meta: {
      service: req.ServiceName,
      service_id: req.ServiceID,
      task: req.TaskName,
      task_id: req.TaskID,
      node_id: req.NodeID,
      image: req.TaskImage,
      secret: req.SecretName,
    },
    ...bounds,
  };
}

/** The plugin's own read-token cache (plugin-src/read-tokens.ts), minting as the provider does. */
const readTokens = new Map<DirectVault, ReadTokens>();

function readToken(s: Sides): Promise<string> {
  let cache = readTokens.get(s.direct);
  if (!cache) {
    cache = new ReadTokens(async (policy, service) => {
      const res = await s.direct.call("POST", `auth/token/create/${READ_ROLE}`, s.bootstrapToken, {
        policies: [policy],
        display_name: `read-${service}`,
        ttl: `${READ_TOKEN_TTL_SECONDS}s`,
        no_default_policy: true,
        meta: { service, purpose: "kv-read" },
      });
      const auth = res.auth as { client_token?: string; lease_duration?: number } | null;
      return {
        token: String(auth?.client_token ?? ""),
        ttlSeconds: Number(auth?.lease_duration) || READ_TOKEN_TTL_SECONDS,
      };
    });
    readTokens.set(s.direct, cache);
  }
  return cache.get(`swarm-${BENCH_SERVICE}`, BENCH_SERVICE);
}

/**
 * The calls provider.ts makes for one request, with the mount cache warm: kv = a read with the
 * policy's read token (minted once a minute); kv+wrap = that read + a wrap with the plugin's token;
 * token = create.
 */
export async function direct(s: Sides, kind: Kind): Promise<void> {
  const req = requestFor(kind);
  if (kind === "token") {
    const res = await s.direct.call(
      "POST",
      `auth/token/create/${TOKEN_ROLE}`,
      s.bootstrapToken,
      createBody(req, { ttl: TOKEN_TTL }),
    );
    checkValue(kind, String((res.auth as { client_token?: string } | null)?.client_token ?? ""), s.expected);
    return;
  }
  const audit = { "X-Vsp-Task-Id": req.TaskID, "X-Vsp-Service": req.ServiceName };
  const token = await readToken(s);
  const read = await s.direct.call("GET", `secret/data/${KV_SECRET}`, token, undefined, undefined, audit);
  const data = ((read.data as { data?: Record<string, unknown> } | null)?.data ?? {}) as Record<
    string,
    unknown
  >;
  const value = String(data[KV_FIELD] ?? "");
  if (kind === "kv") return checkValue(kind, value, s.expected);
  const wrapped = await s.direct.call(
    "POST",
    "sys/wrapping/wrap",
    s.bootstrapToken,
    { [KV_FIELD]: value },
    WRAP_SECONDS,
    audit,
  );
  checkValue(kind, String((wrapped.wrap_info as { token?: string } | null)?.token ?? ""), s.expected);
}
