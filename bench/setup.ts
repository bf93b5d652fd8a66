// Vault data for the bench and the handles both sides need.
import { randomBytes } from "node:crypto";
import type { Ground } from "../test/ground/ground.js";
import { pluginSocket } from "../test/helpers/plugin.js";
import { execIn } from "../test/helpers/swarm.js";
import { kvPut, writePolicy } from "../test/helpers/vault.js";
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
