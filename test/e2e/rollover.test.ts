// Automatic rollover on the real ground: `vsp.refresh: on-change` rolls a service within 60 s of
// a new KV version, `before-expiry` before its tokens end, and a mode that cannot work is refused
// with a reason in vsp status. The leader plugin (the only one here) drives it.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { type Ground, useGround } from "../ground/ground.js";
import { waitFor } from "../ground/process.js";
import { ensureDeployed, vsp } from "../helpers/cli.js";
import {
  deployStack,
  HOST_NETWORK,
  pluginLog,
  readSecretInTasks,
  removeStack,
  waitRunning,
} from "../helpers/swarm.js";
import { kvPut, liveTokens, must, writePolicy } from "../helpers/vault.js";

let ground: Ground;

interface RefreshRow {
  service: string;
  modes: string;
  outcome?: string;
  reason?: string;
  lastRollout?: string;
  nextRollout?: string;
  rolling: boolean;
}

async function rollover(service: string): Promise<RefreshRow | undefined> {
  const run = await vsp(ground, ["status", "--json"]);
  return (JSON.parse(run.stdout) as { refresh: RefreshRow[] }).refresh.find((r) => r.service === service);
}

async function stateLabels(service: string): Promise<Record<string, string> | undefined> {
  const configs = (await ground.docker.listConfigs({
    filters: JSON.stringify({ label: ["com.vsp.role=refresh-state", `com.vsp.service=${service}`] }),
  } as never)) as unknown as { Spec: { Labels: Record<string, string> } }[];
  return configs[0]?.Spec.Labels;
}

function app(name: string, labels: string, secrets: string, replicas = 2): string {
  return `  ${name}:
    image: ${ground.state.baseImage}
    command: ["/bin/sleep", "100000"]
    stop_grace_period: 1s
    networks: [hostnet]
    deploy:
      replicas: ${replicas}
      labels: { ${labels} }
      update_config: { parallelism: 1, order: start-first }
    secrets: ${secrets}
`;
}

before(async () => {
  ground = await useGround();
  await ensureDeployed(ground);
  await writePolicy(ground, "swarm-ro_kv", 'path "secret/data/ro/*" { capabilities = ["read"] }');
  await writePolicy(ground, "swarm-ro_tok", 'path "auth/token/lookup-self" { capabilities = ["read"] }');
  await writePolicy(ground, "swarm-ro_v1", 'path "kv1-ro/*" { capabilities = ["read"] }');
  await writePolicy(ground, "swarm-ro_bad", 'path "secret/data/ro/*" { capabilities = ["read"] }');
  const mounts = (await must(ground, "GET", "sys/mounts")) as Record<string, unknown>;
  if (!("kv1-ro/" in mounts) && !("kv1-ro/" in ((mounts.data as Record<string, unknown>) ?? {})))
    await must(ground, "POST", "sys/mounts/kv1-ro", { type: "kv", options: { version: "1" } });
  await must(ground, "POST", "kv1-ro/app", { value: "v1" });
  await kvPut(ground, "ro/app", { value: `first-${randomBytes(4).toString("hex")}` });
});
after(async () => {
  if (!ground) return;
  await removeStack(ground, "ro");
  // The leader drops the rollover states of removed services on its next pass; later files
  // expect a healthy vsp status.
  await waitFor(
    "the ro_ rollover states to go",
    async () => {
      const left = (await ground.docker.listConfigs({
        filters: JSON.stringify({ label: ["com.vsp.role=refresh-state"] }),
      })) as unknown as { Spec: { Labels: Record<string, string> } }[];
      return left.some((c) => (c.Spec.Labels["com.vsp.service"] ?? "").startsWith("ro_")) ? undefined : true;
    },
    60_000,
    1000,
  );
});

test("on-change, before-expiry, and modes that cannot work", async () => {
  await deployStack(
    ground,
    "ro",
    `version: "3.8"
services:
${app("kv", '"vsp.refresh": "on-change"', "[val]")}${app("tok", '"vsp.refresh": "before-expiry"', "[tok]", 1)}${app("v1", '"vsp.refresh": "on-change"', "[old]", 1)}${app("bad", '"vsp.refresh": "sometimes"', "[val]", 1)}secrets:
  val:
    driver: vsp
    labels: { vsp.path: secret/ro/app, vsp.field: value }
  tok:
    driver: vsp
    labels: { vsp.type: token, vsp.ttl: 90s }
  old:
    driver: vsp
    labels: { vsp.path: kv1-ro/app, vsp.field: value }
${HOST_NETWORK}`,
  );
  const first = await waitRunning(ground, "ro_kv", 2);
  const firstTok = await waitRunning(ground, "ro_tok", 1);
  const tokIssued = Date.now();
  // The leader records the version it saw before a change can count as one.
  await waitFor(
    "the KV version recorded",
    async () =>
      ((await stateLabels("ro_kv"))?.["com.vsp.refresh-kv-versions"] ?? "").includes("secret/ro/app") ||
      undefined,
    60_000,
  );

  const second = `second-${randomBytes(4).toString("hex")}`;
  const changedAt = Date.now();
  await kvPut(ground, "ro/app", { value: second });
  const started = await waitFor(
    "a rollout of ro_kv",
    async () => {
      const row = await rollover("ro_kv");
      return row?.lastRollout ? row : undefined;
    },
    90_000,
    1000,
  );
  const startedMs = Date.parse(started.lastRollout!) - changedAt;
  assert.ok(startedMs <= 60_000, `the rollout started ${startedMs} ms after the change`);
  const done = await waitFor(
    "ro_kv rolled",
    async () => {
      const row = await rollover("ro_kv");
      return row?.outcome === "completed" ? row : undefined;
    },
    120_000,
    1000,
  );
  assert.equal(done.rolling, false);
  const rolled = await waitRunning(ground, "ro_kv", 2);
  assert.ok(rolled.every((t) => !first.some((f) => f.taskId === t.taskId)));
  assert.deepEqual(await readSecretInTasks(ground, rolled, "val"), [second, second]);
  const log = pluginLog(ground).filter((l) => l.msg === "rollover" && l.service === "ro_kv");
  assert.deepEqual(
    log.map((l) => l.outcome),
    ["started", "completed"],
  );
  assert.match(String(log[0]!.why), /new KV version at secret\/ro\/app/);

  // before-expiry: a 90 s token is renewed by a rollout from two thirds of its life (60 s) on,
  // and before it ends (the check runs every 20 s ± 20 %).
  const tok = await waitFor(
    "ro_tok rolled",
    async () => {
      const row = await rollover("ro_tok");
      return row?.outcome === "completed" ? row : undefined;
    },
    120_000,
    1000,
  );
  const tokMs = Date.parse(tok.lastRollout!) - tokIssued;
  assert.ok(tokMs >= 50_000 && tokMs < 90_000, `rolled ${tokMs} ms after issuance`);
  const [newTok] = await waitRunning(ground, "ro_tok", 1);
  assert.notEqual(newTok!.taskId, firstTok[0]!.taskId);
  await waitFor(
    "only the new ro_tok task's token alive",
    async () => {
      const live = await liveTokens(ground, (t) => t.meta.service === "ro_tok");
      return (live.length >= 1 && live.every((t) => t.meta.task_id !== firstTok[0]!.taskId)) || undefined;
    },
    30_000,
  );

  // Modes that cannot work are refused with the reason, and vsp status counts them as problems.
  const v1 = await waitFor(
    "ro_v1 refused",
    async () => {
      const row = await rollover("ro_v1");
      return row?.outcome === "refused" ? row : undefined;
    },
    60_000,
    1000,
  );
  assert.match(v1.reason ?? "", /on-change needs KV version 2, but kv1-ro\/app is on a KV version 1 mount/);
  const bad = await rollover("ro_bad");
  assert.equal(bad?.outcome, "refused");
  assert.match(bad?.reason ?? "", /unknown mode "sometimes"/);
  const status = await vsp(ground, ["status"]);
  assert.equal(status.code, 1);
  assert.match(status.stdout, /rollover of ro_bad refused/);
  process.stderr.write(
    `[rollover] on-change started after ${startedMs} ms; before-expiry (90 s token) after ${tokMs} ms\n`,
  );
});
