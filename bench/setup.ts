// Vault data for the bench and the handles both sides need.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Ground } from "../test/ground/ground.js";
import { pluginSocket } from "../test/helpers/plugin.js";
import { execIn } from "../test/helpers/swarm.js";
import { kvPut, must, writePolicy } from "../test/helpers/vault.js";
import { DirectVault, PluginClient } from "./clients.js";
import { BENCH_SERVICE, KV_FIELD, KV_SECRET, type Sides } from "./workload.js";

/** Services the bench runs or names in requests; each gets a policy that may read the bench secret. */
export const SCALE_SERVICE = "bench_scale";
export const STATIC_SERVICE = "bench_static";

export async function setUpVault(ground: Ground): Promise<string> {
  const value = `bench-${randomBytes(12).toString("hex")}`;
  await kvPut(ground, KV_SECRET, { [KV_FIELD]: value });
  const rules = `path "secret/data/${KV_SECRET}" { capabilities = ["read"] }`;
  for (const service of [BENCH_SERVICE, SCALE_SERVICE]) await writePolicy(ground, `swarm-${service}`, rules);
  return value;
}

/** The bootstrap token, read from the helper container the way the plugin reads it. */
export async function readBootstrapToken(ground: Ground): Promise<string> {
  const helpers = await ground.docker.listContainers({
    filters: { label: ["com.vsp.role=helper"], status: ["running"] },
  });
  const newest = helpers.sort((a, b) => b.Created - a.Created)[0];
  if (!newest) throw new Error("no running helper container on the ground");
  const token = (await execIn(ground.docker, newest.Id, ["cat", "/run/secrets/vsp-bootstrap-token"])).trim();
  if (!token) throw new Error("the helper's bootstrap secret is empty");
  return token;
}

export async function makeSides(ground: Ground, expected: string): Promise<Sides> {
  return {
    plugin: new PluginClient(await pluginSocket(ground)),
    direct: new DirectVault(ground.vaultAddr),
    bootstrapToken: await readBootstrapToken(ground),
    expected,
  };
}

/**
 * bench/floor-proxy.js on the host, reading the bench secret with a token of the bench service's
 * policy (given on stdin, never on the command line); stop() ends it.
 */
export interface FloorProxy {
  client: PluginClient;
  pid: number;
  stop: () => void;
}

export async function startFloorProxy(ground: Ground): Promise<FloorProxy> {
  const created = await must(ground, "POST", "auth/token/create", {
    policies: [`swarm-${BENCH_SERVICE}`],
    ttl: "2h",
    no_default_policy: true,
  });
  const token = String((created.auth as { client_token?: string }).client_token ?? "");
  const socket = path.join(ground.tempDir("floor-proxy"), "floor.sock");
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "floor-proxy.js");
  const child = spawn(
    process.execPath,
    [script, socket, ground.vaultAddr, `secret/data/${KV_SECRET}`, KV_FIELD],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  child.stdin.end(token);
  const stop = () => {
    if (child.exitCode === null) child.kill("SIGTERM");
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the floor proxy did not listen within 10 s")), 10_000);
      child.stdout.once("data", () => {
        clearTimeout(timer);
        resolve();
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the floor proxy exited with ${code}`));
      });
    });
  } catch (err) {
    stop();
    throw err;
  }
  return { client: new PluginClient(socket), pid: child.pid!, stop };
}
