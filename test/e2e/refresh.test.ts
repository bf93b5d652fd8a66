// vsp refresh on the real ground: new secret versions (driver kept, no value in Raft) rolled out
// under the service's own update_config, every new task with the new Vault value, old versions
// removed when free, old tasks' credentials revoked; a rollout Swarm pauses is a failure.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { type Ground, useGround } from "../ground/ground.js";
import { waitFor } from "../ground/process.js";
import { ensureDeployed, vsp } from "../helpers/cli.js";
import {
  deployStack,
  HOST_NETWORK,
  readSecretInTasks,
  removeStack,
  sleeper,
  tasksOf,
  waitRunning,
} from "../helpers/swarm.js";
import { kvPut, liveTokens, writePolicy } from "../helpers/vault.js";

let ground: Ground;
const v = (tag: string) => `${tag}-${randomBytes(6).toString("hex")}`;

interface SecretView {
  id: string;
  name: string;
  driver?: string;
  labels: Record<string, string>;
  hasData: boolean;
}

async function secrets(prefix: string): Promise<SecretView[]> {
  const list = (await ground.docker.listSecrets({})) as unknown as {
    ID: string;
    Spec: { Name: string; Labels?: Record<string, string>; Driver?: { Name: string }; Data?: string };
  }[];
  return list
    .filter((s) => s.Spec.Name.startsWith(prefix))
    .map((s) => ({
      id: s.ID,
      name: s.Spec.Name,
      driver: s.Spec.Driver?.Name,
      labels: s.Spec.Labels ?? {},
      hasData: !!s.Spec.Data,
    }));
}

before(async () => {
  ground = await useGround();
  await ensureDeployed(ground);
  await writePolicy(ground, "swarm-rf_app", 'path "secret/data/rf_val" { capabilities = ["read"] }');
  await writePolicy(ground, "swarm-rf_other", 'path "secret/data/rf_val" { capabilities = ["read"] }');
  await writePolicy(ground, "swarm-rfbad_app", 'path "secret/data/rfbad" { capabilities = ["read"] }');
});
after(async () => {
  if (!ground) return;
  await removeStack(ground, "rf");
  await removeStack(ground, "rfbad");
});

test("refresh rolls the service under its update_config; new tasks get the new value, old versions and credentials go", async () => {
  const first = v("one");
  await kvPut(ground, "rf_val", { value: first });
  await deployStack(
    ground,
    "rf",
    `version: "3.8"
services:
${sleeper(ground, "app", 3, "[val, tok]", "{ parallelism: 1, delay: 2s, order: stop-first }")}${sleeper(ground, "other", 1, "[val]")}secrets:
  val:
    driver: vsp
    labels: { vsp.field: value }
  tok:
    driver: vsp
    labels: { vsp.type: token, vsp.ttl: 10m }
${HOST_NETWORK}`,
  );
  const before = await waitRunning(ground, "rf_app", 3);
  await waitRunning(ground, "rf_other", 1);
  assert.deepEqual(await readSecretInTasks(ground, before, "val"), [first, first, first]);

  const second = v("two");
  await kvPut(ground, "rf_val", { value: second });
  const run = await vsp(ground, ["refresh", "rf_app", "--json"]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as {
    ok: boolean;
    services: {
      service: string;
      outcome: string;
      swaps: { from: string; to: string }[];
      keptOld: string[];
      ms: number;
    }[];
  };
  const [app] = result.services;
  assert.equal(app!.outcome, "completed");
  assert.deepEqual(app!.swaps.map((s) => [s.from, s.to]).sort(), [
    ["rf_tok", "rf_tok.v2"],
    ["rf_val", "rf_val.v2"],
  ]);
  assert.deepEqual(app!.keptOld, ["rf_val"], "rf_val stays: rf_other still mounts it");

  const after1 = await waitRunning(ground, "rf_app", 3);
  assert.equal(
    after1.filter((t) => before.some((b) => b.taskId === t.taskId)).length,
    0,
    "every task replaced",
  );
  assert.deepEqual(await readSecretInTasks(ground, after1, "val"), [second, second, second]);
  const [otherTask] = await tasksOf(ground, "rf_other");
  assert.deepEqual(await readSecretInTasks(ground, [otherTask!], "val"), [first], "rf_other was not rolled");

  // update_config: one task at a time, 2 s apart (created times of the new tasks).
  const created = (
    (await ground.docker.listTasks({
      filters: JSON.stringify({ service: ["rf_app"], "desired-state": ["running"] }),
    } as never)) as unknown as {
      CreatedAt: string;
    }[]
  )
    .map((t) => Date.parse(t.CreatedAt))
    .sort((a, b) => a - b);
  for (let i = 1; i < created.length; i++)
    assert.ok(
      created[i]! - created[i - 1]! >= 1900,
      `tasks ${i - 1} and ${i} were ${created[i]! - created[i - 1]!} ms apart`,
    );

  const now = await secrets("rf_");
  assert.deepEqual(now.map((s) => s.name).sort(), ["rf_tok.v2", "rf_val", "rf_val.v2"]);
  for (const s of now.filter((x) => x.name.endsWith(".v2"))) {
    assert.equal(s.driver, "vsp");
    assert.equal(s.hasData, false, "no value in Raft");
    assert.equal(s.labels["com.vsp.secret-version"], "2");
    assert.equal(s.labels["com.docker.stack.namespace"], "rf", "stack rm still removes it");
  }
  assert.equal(now.find((s) => s.name === "rf_tok.v2")!.labels["com.vsp.refresh-of"], "rf_tok");

  // The old tasks' tokens are revoked by the leader plugin once their tasks ended.
  const ids = new Set(after1.map((t) => t.taskId));
  await waitFor(
    "only the new tasks' tokens alive",
    async () => {
      const live = await liveTokens(ground, (t) => t.meta.service === "rf_app");
      return live.length === 3 && live.every((t) => ids.has(t.meta.task_id ?? "")) ? true : undefined;
    },
    30_000,
  );

  // A second refresh takes the next version and removes the one before.
  const again = await vsp(ground, ["refresh", "rf_app", "--secret", "tok", "--json"]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(
    (JSON.parse(again.stdout) as typeof result).services[0]!.swaps.map((s) => [s.from, s.to]),
    [["rf_tok.v2", "rf_tok.v3"]],
  );
  assert.deepEqual(
    (await secrets("rf_tok")).map((s) => s.name),
    ["rf_tok.v3"],
  );
  process.stderr.write(`[refresh] 3 tasks, parallelism 1, delay 2s: ${app!.ms} ms\n`);
});

test("a rollout Swarm pauses is a failure with the engine's reason; a service without vsp secrets is refused", async () => {
  await kvPut(ground, "rfbad", { value: v("ok") });
  await deployStack(
    ground,
    "rfbad",
    `version: "3.8"
services:
${sleeper(ground, "app", 2, "[val]", "{ parallelism: 1, failure_action: pause, monitor: 5s, max_failure_ratio: 0 }")}${sleeper(ground, "plain", 1)}secrets:
  val:
    driver: vsp
    labels: { vsp.path: secret/rfbad, vsp.field: value }
${HOST_NETWORK}`,
  );
  await waitRunning(ground, "rfbad_app", 2);
  // The field the secret reads disappears: new tasks get no secret.
  await kvPut(ground, "rfbad", { other: "x" });
  const run = await vsp(ground, ["refresh", "--stack", "rfbad", "--timeout", "120s"]);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout, /FAILED +rfbad_app/);
  assert.match(run.stdout, /reason: Swarm paused the update: /);
  assert.match(run.stderr, /rfbad_plain: no vsp secret/);
  const plain = await vsp(ground, ["refresh", "rfbad_plain"]);
  assert.equal(plain.code, 1);
  assert.match(plain.stdout + plain.stderr, /rfbad_plain mounts no vsp secret/);
});
