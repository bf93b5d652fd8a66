// Every type and format of the contract, in one stack with 2 replicas per service, deployed with
// `docker stack deploy`; each task's file is compared with what OpenBao says directly.
import assert from "node:assert/strict";
import { randomBytes, X509Certificate } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { type Ground, useGround } from "../ground/ground.js";
import { ensureDeployed } from "../helpers/cli.js";
import {
  deployStack,
  HOST_NETWORK,
  readSecretInTasks,
  removeStack,
  type TaskView,
  waitRunning,
} from "../helpers/swarm.js";
import { bao, kvPut, lookupToken, must, writePolicy } from "../helpers/vault.js";

const stack = "types";
let ground: Ground;
const pw = `pw-${randomBytes(8).toString("hex")}`;
const pwOld = `old-${randomBytes(8).toString("hex")}`;
let kvVersionOld = 0;
let caPem = "";
const tasks: Record<string, TaskView[]> = {};

const sleep = `    image: IMAGE
    command: ["/bin/sleep", "100000"]
    networks: [hostnet]
    deploy:
      replicas: 2`;

function compose(image: string): string {
  const svc = sleep.replace("IMAGE", image);
  const secret = (key: string, labels: Record<string, string>) =>
    `  ${key}:\n    driver: vsp\n    labels:${
      Object.keys(labels).length === 0
        ? " {}"
        : `\n${Object.entries(labels)
            .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)
            .join("\n")}`
    }\n`;
  return `version: "3.8"
services:
  kv:
${svc}
    secrets: [kv_plain, kv_json, kv_json_field, kv_meta, kv_env, kv_version, kv_v1, kvdefault, kv_placeholder, kv_wrapped, kv_datapath]
  tok:
${svc}
    secrets: [tok_plain, tok_json, tok_wrapped]
  dyn:
${svc}
    secrets: [pki_cert, ssh_cert, pki_ca]
secrets:
${secret("kv_plain", { "vsp.path": "secret/types/app", "vsp.field": "password" })}${secret("kv_json", { "vsp.path": "secret/types/app", "vsp.format": "json" })}${secret("kv_json_field", { "vsp.path": "secret/types/app", "vsp.field": "config", "vsp.format": "json" })}${secret("kv_meta", { "vsp.path": "secret/types/app", "vsp.format": "meta+json" })}${secret("kv_env", { "vsp.path": "secret/types/env", "vsp.format": "env" })}${secret("kv_version", { "vsp.path": "secret/types/app", "vsp.field": "password", "vsp.version": "1" })}${secret("kv_v1", { "vsp.path": "kv1/app", "vsp.field": "password" })}${secret("kvdefault", {})}${secret("kv_placeholder", { "vsp.path": "secret/svc/{service}" })}${secret("kv_wrapped", { "vsp.path": "secret/types/app", "vsp.wrap": "2m" })}${secret("kv_datapath", { "vsp.path": "secret/data/types/app", "vsp.field": "password" })}${secret("tok_plain", { "vsp.type": "token", "vsp.ttl": "10m" })}${secret("tok_json", { "vsp.type": "token", "vsp.format": "json", "vsp.num-uses": "5" })}${secret("tok_wrapped", { "vsp.type": "token", "vsp.wrap": "true" })}${secret("pki_cert", { "vsp.type": "write", "vsp.path": "pki/issue/web", "vsp.data.common_name": "{task_id}.example.test", "vsp.field": "certificate" })}${secret("ssh_cert", { "vsp.type": "write", "vsp.path": "ssh/issue/dev", "vsp.data.key_type": "ed25519", "vsp.format": "json" })}${secret("pki_ca", { "vsp.type": "read", "vsp.path": "pki/cert/ca", "vsp.field": "certificate" })}
${HOST_NETWORK}`;
}

async function read(service: string, target: string): Promise<string[]> {
  return readSecretInTasks(ground, tasks[service]!, target);
}

before(async () => {
  ground = await useGround();
  await ensureDeployed(ground);
  kvVersionOld = await kvPut(ground, "types/app", { password: pwOld, config: { a: 1 } });
  await kvPut(ground, "types/app", { password: pw, user: "app", config: { a: 2, b: [1, 2] } });
  await kvPut(ground, "types/env", { DB_USER: "app", DB_PASS: pw });
  await kvPut(ground, "types_kvdefault", { value: `default-${pw}` });
  await kvPut(ground, "svc/types_kv", { value: `placeholder-${pw}` });
  await must(ground, "POST", "sys/mounts/kv1", { type: "kv", options: { version: "1" } });
  await must(ground, "POST", "kv1/app", { password: `v1-${pw}` });
  await must(ground, "POST", "sys/mounts/pki", { type: "pki", config: { max_lease_ttl: "87600h" } });
  const root = await must(ground, "POST", "pki/root/generate/internal", {
    common_name: "vsp test CA",
    ttl: "8760h",
  });
  caPem = String((root.data as { certificate: string }).certificate);
  await must(ground, "POST", "pki/roles/web", { allow_any_name: true, max_ttl: "72h", ttl: "1h" });
  await must(ground, "POST", "sys/mounts/ssh", { type: "ssh" });
  await must(ground, "POST", "ssh/config/ca", { generate_signing_key: true, key_type: "ed25519" });
  await must(ground, "POST", "ssh/roles/dev", {
    key_type: "ca",
    allow_user_certificates: true,
    allowed_users: "*",
    default_user: "app",
    ttl: "1h",
  });
  await writePolicy(
    ground,
    "swarm-types_kv",
    [
      'path "secret/data/types/*" { capabilities = ["read"] }',
      'path "secret/data/types_kvdefault" { capabilities = ["read"] }',
      'path "secret/data/svc/types_kv" { capabilities = ["read"] }',
      'path "kv1/app" { capabilities = ["read"] }',
    ].join("\n"),
  );
  await writePolicy(ground, "swarm-types_tok", 'path "secret/data/tok/*" { capabilities = ["read"] }');
  await writePolicy(
    ground,
    "swarm-types_dyn",
    [
      'path "pki/issue/web" { capabilities = ["update"] }',
      'path "ssh/issue/dev" { capabilities = ["update"] }',
      'path "pki/cert/ca" { capabilities = ["read"] }',
    ].join("\n"),
  );
  await deployStack(ground, stack, compose(ground.state.baseImage));
  for (const s of ["kv", "tok", "dyn"]) tasks[s] = await waitRunning(ground, `${stack}_${s}`, 2);
});

after(async () => {
  if (ground) await removeStack(ground, stack);
});

describe("type kv", () => {
  test("plain field, with and without data/ in the path", async () => {
    assert.deepEqual(await read("kv", "kv_plain"), [pw, pw]);
    assert.deepEqual(await read("kv", "kv_datapath"), [pw, pw]);
  });
  test("json of the data and of one field", async () => {
    const data = ((await must(ground, "GET", "secret/data/types/app")).data as { data: unknown }).data;
    for (const v of await read("kv", "kv_json")) assert.deepEqual(JSON.parse(v), data);
    for (const v of await read("kv", "kv_json_field")) assert.deepEqual(JSON.parse(v), { a: 2, b: [1, 2] });
  });
  test("meta+json is the whole Vault response", async () => {
    for (const v of await read("kv", "kv_meta")) {
      const whole = JSON.parse(v);
      assert.equal(whole.data.data.password, pw);
      assert.equal(whole.data.metadata.version, kvVersionOld + 1);
    }
  });
  test("env renders KEY=value lines", async () => {
    // Vault returns map keys sorted.
    assert.deepEqual(await read("kv", "kv_env"), [
      `DB_PASS=${pw}\nDB_USER=app\n`,
      `DB_PASS=${pw}\nDB_USER=app\n`,
    ]);
  });
  test("a pinned version, a KV v1 mount, the default path and a placeholder path", async () => {
    assert.deepEqual(await read("kv", "kv_version"), [pwOld, pwOld]);
    assert.deepEqual(await read("kv", "kv_v1"), [`v1-${pw}`, `v1-${pw}`]);
    assert.deepEqual(await read("kv", "kvdefault"), [`default-${pw}`, `default-${pw}`]);
    assert.deepEqual(await read("kv", "kv_placeholder"), [`placeholder-${pw}`, `placeholder-${pw}`]);
  });
  test("wrapped: one wrapping token per task, each unwraps exactly once to the KV data", async () => {
    const wraps = await read("kv", "kv_wrapped");
    assert.equal(new Set(wraps).size, 2);
    for (const w of wraps) {
      const first = await bao(ground, "POST", "sys/wrapping/unwrap", {}, w);
      assert.equal(first.status, 200);
      assert.equal((first.json.data as { password: string }).password, pw);
      const second = await bao(ground, "POST", "sys/wrapping/unwrap", {}, w);
      assert.notEqual(second.status, 200, "a wrapping token unwraps only once");
    }
  });
});

describe("type token", () => {
  test("an orphan token per task with the service's policy only, metadata and ttl", async () => {
    const tokens = await read("tok", "tok_plain");
    assert.equal(new Set(tokens).size, 2);
    const taskIds = new Set(tasks.tok!.map((t) => t.taskId));
    for (const t of tokens) {
      const res = await lookupToken(ground, t);
      assert.equal(res.status, 200);
      const d = res.json.data as {
        policies: string[];
        orphan: boolean;
        meta: Record<string, string>;
        ttl: number;
      };
      assert.deepEqual([...d.policies].sort(), ["default", "swarm-types_tok"]);
      assert.equal(d.orphan, true);
      assert.equal(d.meta.service, "types_tok");
      assert.equal(d.meta.secret, "types_tok_plain");
      assert.ok(taskIds.has(d.meta.task_id!), "metadata names the task");
      assert.ok(d.meta.task!.startsWith("types_tok."));
      assert.ok(d.meta.node_id && d.meta.service_id && d.meta.image);
      assert.ok(d.ttl > 0 && d.ttl <= 600);
    }
  });
  test("format json gives token, accessor, ttl and policies; num-uses applies", async () => {
    for (const v of await read("tok", "tok_json")) {
      const j = JSON.parse(v) as { token: string; accessor: string; ttl: number; policies: string[] };
      const res = await lookupToken(ground, j.token);
      const d = res.json.data as { accessor: string; num_uses: number };
      assert.equal(d.accessor, j.accessor);
      assert.equal(d.num_uses, 5);
      assert.ok(j.ttl > 0);
      assert.ok(j.policies.includes("swarm-types_tok"));
    }
  });
  test("wrapped: distinct per task, single use, unwraps to a valid task token", async () => {
    const wraps = await read("tok", "tok_wrapped");
    assert.equal(new Set(wraps).size, 2);
    for (const w of wraps) {
      const first = await bao(ground, "POST", "sys/wrapping/unwrap", {}, w);
      assert.equal(first.status, 200);
      const token = (first.json.auth as { client_token: string }).client_token;
      const d = (await lookupToken(ground, token)).json.data as { policies: string[] };
      assert.ok(d.policies.includes("swarm-types_tok"));
      assert.notEqual((await bao(ground, "POST", "sys/wrapping/unwrap", {}, w)).status, 200);
    }
  });
});

describe("types read and write (dynamic secrets)", () => {
  test("PKI: a distinct certificate per task, for the requested name, signed by the CA", async () => {
    const certs = (await read("dyn", "pki_cert")).map((pem) => new X509Certificate(pem));
    const ca = new X509Certificate(caPem);
    assert.equal(new Set(certs.map((c) => c.serialNumber)).size, 2);
    const names = new Set(tasks.dyn!.map((t) => `CN=${t.taskId}.example.test`));
    for (const c of certs) {
      assert.ok(names.has(c.subject.trim()), `subject ${c.subject} names a task`);
      assert.ok(c.verify(ca.publicKey), "signed by the test CA");
    }
  });
  test("SSH: a distinct signed key pair per task", async () => {
    const issued = (await read("dyn", "ssh_cert")).map(
      (v) => JSON.parse(v) as { signed_key: string; serial_number: string; private_key: string },
    );
    assert.equal(new Set(issued.map((i) => i.serial_number)).size, 2);
    for (const i of issued) {
      assert.match(i.signed_key, /^ssh-ed25519-cert-v01@openssh\.com /);
      assert.match(i.private_key, /PRIVATE KEY/);
    }
  });
  test("read: the CA certificate equals what OpenBao serves", async () => {
    for (const v of await read("dyn", "pki_ca")) assert.equal(v.trim(), caPem.trim());
  });
});
