// A real OpenBao server on a free loopback port: dev mode (in memory) or persistent storage with
// init/unseal, which can be stopped, restarted and sealed by tests. The multi-manager ground runs
// it on a fixed address inside a network namespace of its own.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { type VaultCall, VaultHttpClient } from "../../plugin-src/vault-http.js";
import { freePort, startDaemon, stopPid, waitFor } from "./process.js";
import { inNetns, type ListenOptions } from "./registry.js";

export interface OpenBaoState {
  mode: "dev" | "file";
  addr: string;
  port: number;
  clusterPort: number;
  rootToken: string;
  unsealKey?: string;
  /** dev mode: OpenBao's raw audit log (JSON lines). */
  auditLog: string;
  pid: number;
  dir: string;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Network namespace it runs in (a name under /run/netns), if any. */
  netns?: string;
}

const clients = new Map<string, VaultHttpClient>();

/** One OpenBao call through the plugin's own Vault client (plugin-src/vault-http.ts), any status. */
export async function baoApi(
  addr: string,
  method: string,
  apiPath: string,
  token?: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const key = `${addr} ${timeoutMs}`;
  let client = clients.get(key);
  if (!client) {
    client = new VaultHttpClient({ address: addr, timeoutMs, retries: 2 });
    clients.set(key, client);
  }
  const answer = await client.request({
    method: method as VaultCall["method"],
    path: apiPath,
    ...(token ? { token } : {}),
    ...(body === undefined ? {} : { body }),
  });
  return { status: answer.status, json: answer.body };
}

async function health(addr: string): Promise<{ initialized: boolean; sealed: boolean } | undefined> {
  try {
    const r = await baoApi(
      addr,
      "GET",
      "sys/health?uninitcode=200&sealedcode=200&standbycode=200",
      undefined,
      undefined,
      2000,
    );
    return r.json as unknown as { initialized: boolean; sealed: boolean };
  } catch {
    return undefined;
  }
}

function launch(bin: string, state: Omit<OpenBaoState, "pid">): number {
  const log = path.join(state.dir, "openbao.log");
  const host = state.host ?? "127.0.0.1";
  const run = (args: string[]) => {
    const [cmd, full] = inNetns(state.netns, bin, args);
    return startDaemon(cmd, full, log, { ...process.env, HOME: state.dir }).child.pid!;
  };
  if (state.mode === "dev") {
    // OpenBao enables audit devices only from its config: a raw file log lets tests count the
    // Vault calls per request and find every token minted in a run.
    const auditConfig = path.join(state.dir, "audit.hcl");
    fs.writeFileSync(
      auditConfig,
      `audit "file" "ground" {\n  options = {\n    file_path = "${state.auditLog}"\n    log_raw = "true"\n  }\n}\n`,
    );
    return run([
      "server",
      "-dev",
      `-dev-root-token-id=${state.rootToken}`,
      `-dev-listen-address=${host}:${state.port}`,
      "-dev-no-store-token",
      `-config=${auditConfig}`,
    ]);
  }
  // OpenBao 2 has no "file" storage: a one-node integrated (raft) store persists across restarts.
  const config = path.join(state.dir, "config.hcl");
  const data = path.join(state.dir, "data");
  fs.mkdirSync(data, { recursive: true });
  fs.writeFileSync(
    config,
    [
      `storage "raft" {\n  path = "${data}"\n  node_id = "vsp-test"\n}`,
      `listener "tcp" {\n  address = "${host}:${state.port}"\n  cluster_address = "${host}:${state.clusterPort}"\n  tls_disable = true\n}`,
      `api_addr = "http://${host}:${state.port}"`,
      `cluster_addr = "http://${host}:${state.clusterPort}"`,
      "",
    ].join("\n"),
  );
  return run(["server", `-config=${config}`]);
}

/** `o.port`/`o.clusterPort` with `o.netns`: fixed ports in a namespace of the caller's. */
export async function startOpenBao(
  bin: string,
  dir: string,
  mode: "dev" | "file",
  o: ListenOptions & { port?: number; clusterPort?: number } = {},
): Promise<OpenBaoState> {
  fs.mkdirSync(dir, { recursive: true });
  const port = o.port ?? (await freePort());
  const host = o.host ?? "127.0.0.1";
  const base = {
    mode,
    addr: `http://${host}:${port}`,
    port,
    // dev mode listens for cluster traffic on port + 1 of its own choosing.
    clusterPort: o.clusterPort ?? (await freePort()),
    ...(o.host ? { host: o.host } : {}),
    ...(o.netns ? { netns: o.netns } : {}),
    rootToken: mode === "dev" ? `root-${randomBytes(12).toString("hex")}` : "",
    dir,
    auditLog: path.join(dir, "audit.log"),
  };
  const pid = launch(bin, base);
  const state: OpenBaoState = { ...base, pid };
  await waitFor("OpenBao to answer", () => health(state.addr), 30_000);
  if (mode === "file") {
    const init = await baoApi(state.addr, "PUT", "sys/init", undefined, {
      secret_shares: 1,
      secret_threshold: 1,
    });
    state.rootToken = String(init.json.root_token);
    state.unsealKey = String((init.json.keys_base64 as string[])[0]);
    await unsealOpenBao(state);
    // Unsealed and answering reads is not yet writable (raft may still be electing itself): the
    // mount is the readiness check, retried until it lands, and a failure stops the test here.
    let last = "";
    await waitFor(
      "OpenBao to accept writes (the secret/ KV v2 mount)",
      async () => {
        const r = await baoApi(state.addr, "POST", "sys/mounts/secret", state.rootToken, {
          type: "kv",
          options: { version: "2" },
        });
        last = `${r.status} ${JSON.stringify(r.json.errors ?? "")}`;
        return r.status < 300 || /already in use/.test(last) ? true : undefined;
      },
      60_000,
      250,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (last answer: ${last})`);
    });
  }
  return state;
}

export async function unsealOpenBao(state: OpenBaoState): Promise<void> {
  if (!state.unsealKey) throw new Error("only a persistent (file mode) OpenBao can be unsealed");
  await baoApi(state.addr, "PUT", "sys/unseal", undefined, { key: state.unsealKey });
  await waitFor("OpenBao to be unsealed and active", async () => {
    const h = await health(state.addr);
    if (!h || h.sealed) return undefined;
    const r = await baoApi(state.addr, "GET", "auth/token/lookup-self", state.rootToken);
    if (r.status !== 200) return undefined;
    // Answering reads is not yet accepting writes (raft may still be electing itself).
    const w = await baoApi(state.addr, "POST", "cubbyhole/vsp-test-ready", state.rootToken, {
      at: Date.now(),
    });
    return w.status < 300 || undefined;
  });
}

export async function sealOpenBao(state: OpenBaoState): Promise<void> {
  await baoApi(state.addr, "PUT", "sys/seal", state.rootToken);
}

export async function stopOpenBao(state: OpenBaoState): Promise<void> {
  await stopPid(state.pid);
}

/** Restarts a persistent ("file" mode) server on the same port and unseals it. */
export async function restartOpenBao(bin: string, state: OpenBaoState): Promise<void> {
  await stopPid(state.pid);
  state.pid = launch(bin, state);
  await waitFor("OpenBao to answer", () => health(state.addr), 30_000);
  await unsealOpenBao(state);
}
