// vsp check against the ground's real OpenBao: the compose/ examples pass, deliberately broken
// copies fail on the right row with the right reason, no value is printed and no token is left.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, test } from "node:test";
import { type Ground, useGround } from "../ground/ground.js";
import { ensureDeployed, vsp } from "../helpers/cli.js";
import { EXAMPLES, type ExampleValues, exampleFile, setUpExampleVault } from "../helpers/examples.js";
import { liveTokens, writePolicy } from "../helpers/vault.js";

let ground: Ground;
let values: ExampleValues;

before(async () => {
  ground = await useGround();
  await ensureDeployed(ground);
  values = await setUpExampleVault(ground);
  await writePolicy(
    ground,
    "swarm-broken_api",
    'path "secret/data/shop/*" { capabilities = ["read"] }\npath "shop-pki/issue/shop" { capabilities = ["create"] }',
  );
});

interface Row {
  service: string;
  secret: string;
  ok: boolean;
  problem?: string;
  hint?: string;
  operation?: string;
}

function assertNothingSecret(text: string): void {
  for (const v of [values.dbPassword, values.dbRootPassword, values.apiKey, values.dbPass])
    assert.ok(!text.includes(v), "a value was printed");
  assert.doesNotMatch(text, /\b[sb]\.[A-Za-z0-9]{20,}/, "a token was printed");
}

async function checkTokens(): Promise<number> {
  return (await liveTokens(ground, (t) => t.meta.vsp === "check")).length;
}

test("the three compose/ examples pass, with 0 values printed and 0 check tokens left", async () => {
  for (const stack of Object.keys(EXAMPLES) as (keyof typeof EXAMPLES)[]) {
    const run = await vsp(ground, ["check", "-c", exampleFile(ground, stack), stack, "--json"]);
    assertNothingSecret(run.stdout + run.stderr);
    assert.equal(run.code, 0, `${stack}: ${run.stdout}${run.stderr}`);
    const report = JSON.parse(run.stdout) as { rows: Row[]; ok: boolean };
    assert.equal(report.ok, true);
    assert.ok(report.rows.length > 0 && report.rows.every((r) => r.ok));
  }
  const shop = JSON.parse(
    (await vsp(ground, ["check", "-c", exampleFile(ground, "shop"), "shop", "--json"])).stdout,
  ) as { rows: Row[] };
  assert.deepEqual(
    shop.rows.map((r) => [r.secret, r.operation]),
    [
      ["shop_api_key", "read secret/data/shop/api"],
      ["shop_api_config", "read secret/data/shop/api"],
      ["shop_db_env", "read secret/data/shop/env"],
      ["shop_tls_cert", "update shop-pki/issue/shop"],
    ],
  );
  assert.equal(await checkTokens(), 0);
});

test("broken copies: each row fails for its own reason, with a hint", async () => {
  const dir = ground.tempDir("check-broken");
  const file = path.join(dir, "broken.yml");
  fs.writeFileSync(
    file,
    `services:
  api:
    image: x
    secrets: [unknown_label, bad_placeholder, unreadable, pki, fine, long_ttl]
  nopolicy:
    image: x
    secrets: [fine]
secrets:
  unknown_label: {driver: vsp, labels: {vsp.path: secret/shop/api, vsp.feild: key}}
  bad_placeholder: {driver: vsp, labels: {vsp.path: "secret/shop/{bogus}"}}
  unreadable: {driver: vsp, labels: {vsp.path: secret/wordpress/db, vsp.field: password}}
  pki: {driver: vsp, labels: {vsp.type: write, vsp.path: shop-pki/issue/shop, vsp.data.common_name: "{task_id}.shop.internal"}}
  fine: {driver: vsp, labels: {vsp.path: "secret/shop/\${WHICH:-api}", vsp.field: key}}
  long_ttl: {driver: vsp, labels: {vsp.type: token, vsp.ttl: 48h}}
  unused: {driver: vsp, labels: {vsp.type: token}}
`,
  );
  const json = await vsp(ground, ["check", "-c", file, "broken", "--json"]);
  assertNothingSecret(json.stdout + json.stderr);
  assert.equal(json.code, 1, json.stderr);
  const report = JSON.parse(json.stdout) as { rows: Row[]; unused: string[] };
  const row = (service: string, secret: string) =>
    report.rows.find((r) => r.service === service && r.secret === secret)!;
  const expect: [string, string, RegExp | undefined, RegExp | undefined][] = [
    ["broken_api", "broken_unknown_label", /unknown label vsp\.feild/, /labels/],
    ["broken_api", "broken_bad_placeholder", /unknown placeholder \{bogus\}/, /labels/],
    [
      "broken_api",
      "broken_unreadable",
      /allows nothing on secret\/data\/wordpress\/db; the secret needs read/,
      /add to policy swarm-broken_api: path "secret\/data\/wordpress\/db"/,
    ],
    [
      "broken_api",
      "broken_pki",
      /allows \[create\] on shop-pki\/issue\/shop; the secret needs update/,
      /capabilities = \["update"\]/,
    ],
    ["broken_api", "broken_fine", undefined, undefined],
    ["broken_api", "broken_long_ttl", /above this deployment's task max TTL of 86400s/, /--task-max-ttl/],
    [
      "broken_nopolicy",
      "broken_fine",
      /policy "swarm-broken_nopolicy" does not exist in Vault/,
      /vault policy write swarm-broken_nopolicy/,
    ],
  ];
  assert.equal(report.rows.length, expect.length);
  for (const [service, secret, problem, hint] of expect) {
    const r = row(service, secret);
    assert.ok(r, `${service} ${secret} has a row`);
    assert.equal(r.ok, problem === undefined, `${secret}: ${r.problem}`);
    if (problem) assert.match(r.problem ?? "", problem);
    if (hint) assert.match(r.hint ?? "", hint);
  }
  assert.deepEqual(report.unused, ["broken_unused"]);

  const human = await vsp(ground, ["check", "-c", file, "broken"]);
  assertNothingSecret(human.stdout + human.stderr);
  assert.equal(human.code, 1);
  assert.match(human.stdout, /7 secret mount\(s\), 6 would fail/);
  assert.match(human.stdout, /^FAIL {2}broken_api +broken_pki +write +update shop-pki\/issue\/shop/m);
  process.stderr.write(`[check] table for the broken stack:\n${human.stdout}`);
  assert.equal(await checkTokens(), 0);
});

test("a stack without Vault: --offline judges labels and names only; no token is a usage error", async () => {
  const file = exampleFile(ground, "dream");
  const offline = await vsp(ground, ["check", "-c", file, "dream", "--offline", "--json"], {
    VAULT_TOKEN: "",
    VAULT_ADDR: "",
  });
  assert.equal(offline.code, 0, offline.stderr);
  assert.equal((JSON.parse(offline.stdout) as { vault?: string }).vault, undefined);
  const noToken = await vsp(ground, ["check", "-c", file, "dream"], { VAULT_TOKEN: "" });
  assert.equal(noToken.code, 2);
  assert.match(noToken.stderr, /no Vault token/);
});
