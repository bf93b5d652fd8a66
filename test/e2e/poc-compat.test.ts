// A second deployment with the proof of concept's naming (--policy-prefix '': policy = service
// name) serving a stack written with the proof of concept's labels, unchanged.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { type Ground, useGround } from "../ground/ground.js";
import { deployArgs, vsp } from "../helpers/cli.js";
import { decoded, getSecret, pluginSocket } from "../helpers/plugin.js";
import {
  deployStack,
  HOST_NETWORK,
  readSecretInTasks,
  removeStack,
  sleeper,
  waitRunning,
} from "../helpers/swarm.js";
import { bao, kvPut, lookupToken, writePolicy } from "../helpers/vault.js";

const P = "dk.almbrand.docker.plugin.secretprovider.vault.";
let ground: Ground;
const value = `poc-${randomBytes(8).toString("hex")}`;

before(async () => {
  ground = await useGround();
  const run = await vsp(ground, [
    ...deployArgs(ground, [
      "--name",
      "poc",
      "--policy-prefix",
      "",
      "--task-policies",
      "pocstack_*,poc-admin-*",
    ]),
    "--json",
  ]);
  assert.equal(run.code, 0, run.stderr);
  await kvPut(ground, "poc/app", { value, password: `pw-${value}` });
  await kvPut(ground, "pocstack_app_default", { value: `default-${value}` });
  await writePolicy(ground, "pocstack_app", 'path "secret/data/poc*" { capabilities = ["read"] }');
});
after(async () => {
  if (!ground) return;
  await removeStack(ground, "pocstack");
  await vsp(ground, ["remove", "--name", "poc", "--purge-vault"]);
});

test("a stack with the proof of concept's labels works unchanged; policy = service name", async () => {
  const s = (key: string, labels: Record<string, string>) =>
    `  ${key}:\n    driver: poc\n    labels:\n${Object.entries(labels)
      .map(([k, v]) => `      ${P}${k}: ${JSON.stringify(v)}`)
      .join("\n")}\n`;
  await deployStack(
    ground,
    "pocstack",
    `version: "3.8"
services:
${sleeper(ground, "app", 2, "[vault_token, plain, as_json, field, wrapped, app_default]")}secrets:
${s("vault_token", { type: "vault_token", wrap: "true" })}${s("plain", { path: "secret/data/poc/app" })}${s("as_json", { path: "secret/data/poc/app", json: "true" })}${s("field", { path: "secret/data/poc/app", field: "password" })}${s("wrapped", { path: "secret/data/poc/app", wrap: "true" })}${s("app_default", { field: "value" })}
${HOST_NETWORK}`,
  );
  const tasks = await waitRunning(ground, "pocstack_app", 2);
  const read = (t: string) => readSecretInTasks(ground, tasks, t);
  assert.deepEqual(await read("plain"), [value, value]);
  assert.deepEqual(await read("field"), [`pw-${value}`, `pw-${value}`]);
  for (const j of await read("as_json")) assert.deepEqual(JSON.parse(j), { password: `pw-${value}`, value });
  assert.deepEqual(await read("app_default"), [`default-${value}`, `default-${value}`]);
  const wraps = await read("wrapped");
  assert.equal(new Set(wraps).size, 2);
  for (const w of wraps) {
    const u = await bao(ground, "POST", "sys/wrapping/unwrap", {}, w);
    assert.equal((u.json.data as { value: string }).value, value);
  }
  const tokenWraps = await read("vault_token");
  assert.equal(new Set(tokenWraps).size, 2);
  for (const w of tokenWraps) {
    const u = await bao(ground, "POST", "sys/wrapping/unwrap", {}, w);
    const token = (u.json.auth as { client_token: string }).client_token;
    const d = (await lookupToken(ground, token)).json.data as { policies: string[] };
    assert.deepEqual([...d.policies].sort(), ["default", "pocstack_app"]);
  }
});

test("with an empty prefix, only services whose name is an allowed policy get a token; root, default and the plugin's own never", async () => {
  await writePolicy(ground, "admin", 'path "*" { capabilities = ["sudo", "read", "update"] }');
  const socket = await pluginSocket(ground, "poc");
  for (const name of [
    "root",
    "ROOT",
    "default",
    "Default",
    "poc-plugin",
    "POC-Plugin",
    "admin",
    "Admin",
    "pocstack",
  ]) {
    const a = await getSecret(socket, {
      SecretName: "x",
      ServiceName: name,
      ServiceID: "svcid",
      TaskID: `t-${name}`,
      SecretLabels: { [`${P}type`]: "vault_token" },
    });
    assert.equal(decoded(a), undefined, name);
    assert.match(
      String(a.body.Err),
      new RegExp(`maps to policy "${name}", which task tokens of this deployment may not carry`),
    );
  }
  // The role says the same to a caller that skips the plugin: Vault refuses "admin" on it.
  const direct = await bao(ground, "POST", "auth/token/create/poc-task", { policies: ["admin"] });
  assert.equal(direct.status, 400, JSON.stringify(direct.json));
});
