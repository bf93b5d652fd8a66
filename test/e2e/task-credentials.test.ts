// The life of a task's credentials on the real ground, counted in OpenBao's token store and
// lease list: one credential per (task, secret) even when Swarm asks again after the plugin
// lost its memory; revocation within 30 s when a task is scaled away, fails, or its stack is
// removed; and no credential left behind by a request that fails after minting.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { after, before, describe, test } from "node:test";
import { type Ground, useGround } from "../ground/ground.js";
import { waitFor } from "../ground/process.js";
import { ensureDeployed, vsp } from "../helpers/cli.js";
import { decoded, getSecret, pluginProcess, pluginSocket } from "../helpers/plugin.js";
import { deployStack, HOST_NETWORK, removeStack, tasksOf, waitRunning } from "../helpers/swarm.js";
import { leasesUnder, liveTokens, must, taskTokensByTask, writePolicy } from "../helpers/vault.js";

const stack = "life";
const app = `${stack}_app`;
const crash = `${stack}_crash`;
const PKI = "pki-life";
const KV1 = "kv1-life";
let ground: Ground;
const kvValue = `v-${randomBytes(6).toString("hex")}`;

function secretYaml(name: string, labels: Record<string, string>): string {
  const body = Object.entries(labels)
    .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)
    .join("\n");
  return `  ${name}:\n    driver: vsp\n    labels:\n${body}\n`;
}

function compose(image: string): string {
  return `version: "3.8"
services:
  app:
    image: ${image}
    command: ["/bin/sleep", "100000"]
    stop_grace_period: 1s
    networks: [hostnet]
    deploy: { replicas: 2 }
    secrets: [tok, tokw, kv, cert]
  crash:
    image: ${image}
    command: ["/bin/sh", "-c", "sleep 4; exit 3"]
    networks: [hostnet]
    deploy: { replicas: 1, restart_policy: { condition: none } }
    secrets: [tok]
secrets:
${secretYaml("tok", { "vsp.type": "token" })}${secretYaml("tokw", { "vsp.type": "token", "vsp.wrap": "true" })}${secretYaml("kv", { "vsp.path": "secret/life/app" })}${secretYaml("cert", { "vsp.type": "write", "vsp.path": `${PKI}/issue/web`, "vsp.data.common_name": "{task_id}.life.test", "vsp.field": "certificate" })}
${HOST_NETWORK}`;
}

/** Live task tokens of a service, per "task/secret". */
const tokensOf = (service: string) => taskTokensByTask(ground, [service]);
const certLeases = () => leasesUnder(ground, `${PKI}/issue/web/`);

async function timeUntil(what: string, probe: () => Promise<boolean>, limitMs = 30_000): Promise<number> {
  const t0 = Date.now();
  await waitFor(what, async () => (await probe()) || undefined, limitMs, 500);
  return Date.now() - t0;
}

before(async () => {
  ground = await useGround();
  await ensureDeployed(ground);
  await must(ground, "POST", `sys/mounts/${PKI}`, { type: "pki", config: { max_lease_ttl: "24h" } });
  await must(ground, "POST", `${PKI}/root/generate/internal`, { common_name: "life.test", ttl: "24h" });
  // generate_lease: each certificate gets a lease, owned by the task token that issued it.
  await must(ground, "POST", `${PKI}/roles/web`, { allow_any_name: true, ttl: "1h", generate_lease: true });
  await must(ground, "POST", `sys/mounts/${KV1}`, { type: "kv", options: { version: "1" } });
  await must(ground, "POST", "secret/data/life/app", { data: { value: kvValue } });
  for (const svc of [app, crash])
    await writePolicy(
      ground,
      `swarm-${svc}`,
      `path "secret/data/life/*" { capabilities = ["read"] }\npath "${PKI}/issue/web" { capabilities = ["update"] }`,
    );
  await deployStack(ground, stack, compose(ground.state.baseImage));
});

after(async () => {
  await removeStack(ground, stack);
});

describe("one credential per task and secret", () => {
  test("each running task holds exactly one live token per secret; kv leaves none, and the audit log names the task of each kv read", async () => {
    const tasks = await waitRunning(ground, app, 2);
    const byTask = await waitFor("the tokens of both tasks", async () => {
      const m = await tokensOf(app);
      return m.size === 6 ? m : undefined;
    });
    for (const t of tasks)
      for (const secret of ["life_tok", "life_tokw", "life_cert"])
        assert.equal(byTask.get(`${t.taskId}/${secret}`)?.length, 1, `${t.taskId}/${secret}`);
    assert.equal(
      [...byTask.keys()].filter((k) => k.endsWith("/life_kv")).length,
      0,
      "kv task tokens left alive",
    );
    assert.equal((await certLeases()).length, 2);
    // kv is read with the service's shared read token: the read's audited headers name the task.
    const reads = fs
      .readFileSync(ground.state.bao.auditLog, "utf8")
      .split("\n")
      .filter((l) => l.includes('"type":"request"') && l.includes("secret/data/life/app"))
      .map((l) => JSON.parse(l) as { request: { headers?: Record<string, string[]> } });
    for (const t of tasks)
      assert.ok(
        reads.some(
          (r) =>
            r.request.headers?.["x-vsp-task-id"]?.[0] === t.taskId &&
            r.request.headers?.["x-vsp-service"]?.[0] === app,
        ),
        `an audited kv read names task ${t.taskId}`,
      );
  });

  test("Swarm asking again after the plugin lost its memory: credentials refused, kv served, tasks untouched", async () => {
    const tasks = await waitRunning(ground, app, 2);
    const before = await tokensOf(app);
    // A plugin process that starts afresh has no memory of what it answered: as after a leader change.
    const old = await pluginProcess(ground);
    process.kill(old.pid, "SIGKILL");
    const socket = await pluginSocket(ground);
    const service = (await ground.docker.getService(app).inspect()) as { ID: string };
    const labelsOf = async (name: string) =>
      ((await ground.docker.getSecret(name).inspect()) as { Spec: { Labels: Record<string, string> } }).Spec
        .Labels;
    const request = async (taskId: string, secret: string): Promise<Record<string, unknown>> => ({
      SecretName: secret,
      SecretLabels: await labelsOf(secret),
      ServiceName: app,
      ServiceID: service.ID,
      TaskID: taskId,
      TaskName: `${app}.x`,
    });
    await waitFor("the plugin to answer again", async () => {
      const p = await pluginProcess(ground).catch(() => undefined);
      if (!p || p.pid === old.pid) return undefined;
      const a = await getSecret(socket, await request(tasks[0]!.taskId, "life_kv")).catch(() => undefined);
      return a?.status === 200 || undefined;
    });
    for (const t of tasks) {
      for (const secret of ["life_tok", "life_tokw", "life_cert"]) {
        const answer = await getSecret(socket, await request(t.taskId, secret));
        assert.match(
          answer.body.Err ?? "",
          /already issued to task/,
          `${secret}: ${JSON.stringify(answer.body)}`,
        );
      }
      assert.equal(decoded(await getSecret(socket, await request(t.taskId, "life_kv"))), kvValue);
    }
    const afterRepeat = await tokensOf(app);
    assert.deepEqual([...afterRepeat.keys()].sort(), [...before.keys()].sort());
    for (const list of afterRepeat.values()) assert.equal(list.length, 1);
    assert.equal((await certLeases()).length, 2);
    const still = await tasksOf(ground, app);
    assert.deepEqual(
      still
        .filter((t) => t.state === "running")
        .map((t) => t.taskId)
        .sort(),
      tasks.map((t) => t.taskId).sort(),
    );
  });
});

describe("revocation when the task ends", () => {
  test("scaling down: the removed task's tokens and certificate lease are gone within 30 s", async () => {
    const before = await waitRunning(ground, app, 2);
    await ground.dockerCli(["service", "scale", "--detach", `${app}=1`]);
    const ms = await timeUntil("one task's credentials to go", async () => {
      const left = new Set([...(await tokensOf(app)).keys()].map((k) => k.split("/")[0]));
      return left.size === 1 && (await certLeases()).length === 1;
    });
    const kept = (await tasksOf(ground, app)).filter((t) => t.state === "running").map((t) => t.taskId);
    assert.equal(kept.length, 1);
    const left = [...(await tokensOf(app)).keys()].map((k) => k.split("/")[0]);
    assert.ok(left.every((id) => id === kept[0]));
    assert.ok(before.some((t) => t.taskId === kept[0]));
    console.log(`task-credentials: scale 2→1 revoked in ${ms} ms`);
  });

  test("a task that fails: its token is revoked within 30 s", async () => {
    const failed = await waitFor("the crash task to fail", async () => {
      const tasks = (await ground.docker.listTasks({
        filters: JSON.stringify({ service: [crash] }),
      } as never)) as unknown as { ID: string; Status: { State: string } }[];
      return tasks.find((t) => t.Status.State === "failed");
    });
    const ms = await timeUntil("the failed task's token to go", async () => {
      const live = await tokensOf(crash);
      return ![...live.keys()].some((k) => k.startsWith(`${failed.ID}/`));
    });
    console.log(`task-credentials: failed task's token revoked ${ms} ms after it was seen failed`);
  });

  test("docker stack rm: 0 live task tokens and 0 leases of the stack within 30 s; vsp status counts them", async () => {
    await ground.dockerCli(["stack", "rm", stack]);
    const ms = await timeUntil("every credential of the stack to go", async () => {
      const live = await liveTokens(ground, (t) => (t.meta.service ?? "").startsWith(`${stack}_`));
      return live.length === 0 && (await certLeases()).length === 0;
    });
    console.log(`task-credentials: stack rm revoked everything in ${ms} ms`);
    const run = await vsp(ground, ["status", "--json"]);
    const report = JSON.parse(run.stdout) as {
      credentials: { live: number; revokedLastHour: number; notRevoked: unknown[]; pending: unknown[] };
    };
    assert.ok(report.credentials.revokedLastHour >= 7, JSON.stringify(report.credentials));
    assert.deepEqual(report.credentials.notRevoked, []);
    assert.deepEqual(report.credentials.pending, []);
  });
});

describe("a request that fails after minting leaves nothing behind", () => {
  const svc = "errs_svc";
  let socket: string;
  let n = 0;
  const ask = async (labels: Record<string, string>) => {
    const task = `errpath${Date.now()}x${n++}`;
    const answer = await getSecret(socket, {
      SecretName: "errs_secret",
      SecretLabels: labels,
      ServiceName: svc,
      ServiceID: "errsserviceid",
      TaskID: task,
    });
    const left = await liveTokens(ground, (t) => t.meta.task_id === task);
    return { answer, left };
  };

  before(async () => {
    socket = await pluginSocket(ground);
    await writePolicy(
      ground,
      `swarm-${svc}`,
      [
        `path "${KV1}/*" { capabilities = ["read"] }`,
        `path "${PKI}/*" { capabilities = ["read", "update"] }`,
        'path "secret/data/life/*" { capabilities = ["read"] }',
        'path "kvfresh*" { capabilities = ["read"] }',
      ].join("\n"),
    );
    await must(ground, "POST", `${KV1}/empty`, { value: "" });
    await must(ground, "POST", `${KV1}/big`, { value: "x".repeat(600 * 1024) });
  });

  const cases: [string, Record<string, string>, RegExp][] = [
    [
      "kv on a path that is not KV (after mint, before the read)",
      { "vsp.path": `${PKI}/cert/ca` },
      /not on a KV mount/,
    ],
    [
      "kv with a missing field (after the read)",
      { "vsp.path": "secret/life/app", "vsp.field": "nope" },
      /field "nope" not found/,
    ],
    [
      "read of an empty value",
      { "vsp.type": "read", "vsp.path": `${KV1}/empty`, "vsp.field": "value" },
      /empty value/,
    ],
    [
      "read of a value too large for Swarm",
      { "vsp.type": "read", "vsp.path": `${KV1}/big`, "vsp.field": "value" },
      /Swarm accepts at most/,
    ],
    [
      "write that Vault refuses",
      { "vsp.type": "write", "vsp.path": `${PKI}/issue/nope`, "vsp.data.common_name": "a.test" },
      /Vault|nothing at|unknown role/,
    ],
    [
      "token+wrap rendered as env (refused by the labels, before any mint)",
      { "vsp.type": "token", "vsp.wrap": "true", "vsp.format": "env" },
      /wrap allows format plain/,
    ],
  ];
  for (const [name, labels, why] of cases) {
    test(name, async () => {
      const { answer, left } = await ask(labels);
      assert.match(answer.body.Err ?? "", why);
      assert.deepEqual(left, [], "a task token outlived its failed request");
    });
  }

  test("kv from a mount the plugin has not seen yet: served, no token left", async () => {
    const mount = `kvfresh${randomBytes(3).toString("hex")}`;
    await must(ground, "POST", `sys/mounts/${mount}`, { type: "kv", options: { version: "2" } });
    await must(ground, "POST", `${mount}/data/app`, { data: { value: "fresh" } });
    const { answer, left } = await ask({ "vsp.path": `${mount}/app` });
    assert.equal(decoded(answer), "fresh");
    assert.deepEqual(left, []);
  });
});
