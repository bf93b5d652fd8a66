// The three stacks of compose/ deploy with `docker stack deploy` (plus an override that swaps
// in the local image) and their tasks get the right values.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { after, before, test } from "node:test";
import { type Ground, useGround } from "../ground/ground.js";
import { ensureDeployed } from "../helpers/cli.js";
import { deployExample, type ExampleValues, setUpExampleVault } from "../helpers/examples.js";
import { execIn, readSecretInTasks, removeStack, waitRunning } from "../helpers/swarm.js";
import { bao, lookupToken } from "../helpers/vault.js";

let ground: Ground;
let v: ExampleValues;

before(async () => {
  ground = await useGround();
  await ensureDeployed(ground);
  v = await setUpExampleVault(ground);
});
after(async () => {
  if (!ground) return;
  for (const s of ["dream", "wordpress", "shop"]) await removeStack(ground, s);
});

test("dream: the golang template config embeds a wrapped token for this task", async () => {
  await deployExample(ground, "dream");
  const [task] = await waitRunning(ground, "dream_app", 1);
  const config = await execIn(ground.docker, task!.containerId!, ["cat", "/etc/app/config.yml"]);
  assert.match(config, /^vault_addr: https:\/\/vault\.example\.com:8200$/m);
  assert.match(config, new RegExp(`^task: dream_app\\.1\\.${task!.taskId}$`, "m"));
  const wrapping = config.match(/^vault_token: (\S+)$/m)?.[1];
  assert.ok(wrapping, "the template rendered the secret");
  const unwrapped = await bao(ground, "POST", "sys/wrapping/unwrap", {}, wrapping);
  assert.equal(unwrapped.status, 200);
  const token = (unwrapped.json.auth as { client_token: string }).client_token;
  const d = (await lookupToken(ground, token)).json.data as {
    policies: string[];
    meta: Record<string, string>;
  };
  assert.deepEqual([...d.policies].sort(), ["default", "swarm-dream_app"]);
  assert.equal(d.meta.task_id, task!.taskId);
});

test("wordpress: both database passwords come from Vault", async () => {
  await deployExample(ground, "wordpress");
  const db = await waitRunning(ground, "wordpress_db", 1);
  const wp = await waitRunning(ground, "wordpress_wordpress", 1);
  assert.deepEqual(await readSecretInTasks(ground, db, "db_password"), [v.dbPassword]);
  assert.deepEqual(await readSecretInTasks(ground, db, "db_root_password"), [v.dbRootPassword]);
  assert.deepEqual(await readSecretInTasks(ground, wp, "db_password"), [v.dbPassword]);
});

test("shop: KV field, JSON, env and a PKI certificate per task", async () => {
  await deployExample(ground, "shop");
  const tasks = await waitRunning(ground, "shop_api", 2);
  assert.deepEqual(await readSecretInTasks(ground, tasks, "api_key"), [v.apiKey, v.apiKey]);
  for (const j of await readSecretInTasks(ground, tasks, "api_config")) {
    assert.deepEqual(JSON.parse(j), { endpoint: "https://api.example", key: v.apiKey });
  }
  assert.deepEqual(await readSecretInTasks(ground, tasks, "db.env"), [
    `DB_PASS=${v.dbPass}\nDB_USER=shop\n`,
    `DB_PASS=${v.dbPass}\nDB_USER=shop\n`,
  ]);
  const certs = (await readSecretInTasks(ground, tasks, "tls.json")).map(
    (j) => JSON.parse(j) as { certificate: string; private_key: string },
  );
  const ca = new X509Certificate(v.caPem);
  const parsed = certs.map((c) => new X509Certificate(c.certificate));
  assert.equal(new Set(parsed.map((c) => c.serialNumber)).size, 2, "one certificate per task");
  for (const [i, c] of parsed.entries()) {
    assert.ok(c.verify(ca.publicKey));
    assert.ok(tasks.some((t) => c.subject.includes(`CN=${t.taskId}.shop.internal`)));
    assert.match(certs[i]!.private_key, /PRIVATE KEY/);
  }
});
