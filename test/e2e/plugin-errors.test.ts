// Errors and escape attempts, sent to the plugin as installed in the swarm (its real socket):
// each answered with a non-empty Err naming secret, service and reason, no Value, and logged.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { type Ground, useGround } from "../ground/ground.js";
import { waitFor } from "../ground/process.js";
import { ensureDeployed, vsp } from "../helpers/cli.js";
import { decoded, getSecret, pluginSocket, postRaw } from "../helpers/plugin.js";
import {
  deployStack,
  execIn,
  oneSecretStack,
  pluginLog,
  removeStack,
  waitTaskError,
} from "../helpers/swarm.js";
import { bao, kvPut, writePolicy } from "../helpers/vault.js";

let ground: Ground;
let socket: string;
const pw = `pw-${randomBytes(8).toString("hex")}`;

before(async () => {
  ground = await useGround();
  await ensureDeployed(ground);
  socket = await pluginSocket(ground);
  await kvPut(ground, "errs/app", { password: pw });
  await writePolicy(ground, "swarm-errs_app", 'path "secret/data/errs/*" { capabilities = ["read"] }');
});
after(async () => {
  if (ground) await removeStack(ground, "errs");
});

function req(labels: Record<string, string>, extra: Record<string, unknown> = {}) {
  const task = randomBytes(6).toString("hex");
  return {
    SecretName: "errs_db",
    SecretLabels: labels,
    ServiceName: "errs_app",
    ServiceID: "svc1",
    TaskID: task,
    TaskName: `errs_app.1.${task}`,
    NodeID: "node1",
    TaskImage: "img",
    ...extra,
  };
}

async function expectErr(request: Record<string, unknown>, pattern: RegExp): Promise<string> {
  const answer = await getSecret(socket, request);
  assert.equal(answer.body.Value, undefined, "no value on error");
  assert.equal(answer.status, 500);
  const err = String(answer.body.Err ?? "");
  assert.match(err, pattern);
  assert.match(err, /^vsp: secret "[^"]*" for service "[^"]*": /, "names the secret and the service");
  assert.ok(!err.includes(pw) && !/\b[sh]v?[bs]?\.[A-Za-z0-9]{20,}/.test(err), "no value, no token");
  const taskId = String(request.TaskID);
  await waitFor("the plugin log line of this request", async () =>
    pluginLog(ground).find((l) => l.task_id === taskId && l.outcome === "error" && l.error === err),
  );
  return err;
}

describe("input errors", () => {
  test("unknown labels, including attempts to pass policies", async () => {
    await expectErr(req({ "vsp.policies": "root" }), /unknown label vsp\.policies/);
    await expectErr(req({ "vsp.policy": "swarm-other" }), /unknown label vsp\.policy/);
  });
  test("bad durations and types", async () => {
    await expectErr(req({ "vsp.type": "token", "vsp.ttl": "forever" }), /not a duration/);
    await expectErr(req({ "vsp.type": "magic" }), /is not kv, token, read or write/);
  });
  test("a missing field or path is an error, not an empty value", async () => {
    await expectErr(
      req({ "vsp.path": "secret/errs/app", "vsp.field": "nope" }),
      /field "nope" not found .*fields there: password/,
    );
    await expectErr(req({ "vsp.path": "secret/errs/missing" }), /nothing at secret\/errs\/missing/);
  });
  test("a request without a service (docker secret create) is refused", async () => {
    await expectErr(req({}, { ServiceName: undefined }), /names no service/);
  });
});

describe("escape attempts", () => {
  test(".. segments and injected placeholders are refused", async () => {
    await expectErr(req({ "vsp.path": "secret/errs/../../sys/policies/acl/root" }), /segment; refused/);
    await expectErr(
      req({ "vsp.path": "secret/errs/{task}" }, { TaskName: "x/../../y" }),
      /placeholder \{task\} holds characters/,
    );
    await expectErr(req({ "vsp.path": "secret/{nope}" }), /unknown placeholder/);
  });
  test("service names that are not plain names are refused", async () => {
    await expectErr(req({}, { ServiceName: "../root" }), /service name .* holds characters/);
  });
  test("a path of another service is refused by Vault through the task token", async () => {
    await kvPut(ground, "other/app", { password: "not-yours" });
    await expectErr(
      req({ "vsp.path": "secret/other/app", "vsp.field": "password" }),
      /policy "swarm-errs_app" does not allow/,
    );
  });
  test("a delivered task token cannot mint tokens; the bootstrap token cannot read secrets", async () => {
    const ok = await getSecret(socket, req({ "vsp.type": "token" }));
    const token = decoded(ok)!;
    const mint = await bao(ground, "POST", "auth/token/create", { policies: ["root"] }, token);
    assert.equal(mint.status, 403);
    const mintRole = await bao(
      ground,
      "POST",
      "auth/token/create/vsp-task",
      { policies: ["swarm-x"] },
      token,
    );
    assert.equal(mintRole.status, 403);

    const helper = (await ground.docker.listContainers({ filters: { label: ["com.vsp.role=helper"] } }))[0]!;
    const bootstrap = (
      await execIn(ground.docker, helper.Id, ["cat", "/run/secrets/vsp-bootstrap-token"])
    ).trim();
    assert.equal((await bao(ground, "GET", "auth/token/lookup-self", undefined, bootstrap)).status, 200);
    for (const [method, path, body] of [
      ["GET", "secret/data/errs/app", undefined],
      ["GET", "sys/policies/acl/vsp-plugin", undefined],
      ["POST", "auth/token/create", { policies: ["swarm-errs_app"] }],
      ["POST", "auth/token/create-orphan", {}],
    ] as const) {
      assert.equal(
        (await bao(ground, method, path, body, bootstrap)).status,
        403,
        `bootstrap token may not ${method} ${path}`,
      );
    }
    const viaRole = await bao(
      ground,
      "POST",
      "auth/token/create/vsp-task",
      { policies: ["vsp-plugin"] },
      bootstrap,
    );
    assert.notEqual(viaRole.status, 200, "the role refuses the plugin's own policy");
    const rootViaRole = await bao(
      ground,
      "POST",
      "auth/token/create/vsp-task",
      { policies: ["root"] },
      bootstrap,
    );
    assert.notEqual(rootViaRole.status, 200, "the role refuses root");
  });
});

describe("protocol", () => {
  test("Plugin.Activate answers the secretprovider interface", async () => {
    const a = await postRaw(socket, "/Plugin.Activate", "");
    assert.deepEqual(a.body, { Implements: ["secretprovider"] });
  });
  test("broken JSON, wrong types and oversized bodies get Err, not a crash", async () => {
    for (const body of ["{", "[]", '{"ServiceName": 1}', '{"SecretLabels": {"vsp.type": 5}}']) {
      const a = await postRaw(socket, "/SecretProvider.GetSecret", body);
      assert.equal(a.status, 400);
      assert.match(String(a.body.Err), /^vsp: bad request: /);
    }
    const big = await postRaw(
      socket,
      "/SecretProvider.GetSecret",
      JSON.stringify({ SecretLabels: { x: "y".repeat(70_000) } }),
    );
    assert.equal(big.status, 413);
    assert.match(String(big.body.Err), /over \d+ bytes/);
    const ok = await getSecret(socket, req({ "vsp.path": "secret/errs/app", "vsp.field": "password" }));
    assert.equal(decoded(ok), pw, "still serving after bad input");
  });
  test("a repeat for the same task and secret gets the same value, not a second token", async () => {
    const r = req({ "vsp.type": "token", "vsp.ttl": "5m" });
    const [a, b] = [await getSecret(socket, r), await getSecret(socket, r)];
    assert.equal(decoded(a), decoded(b));
    const other = await getSecret(socket, { ...r, TaskID: "another-task" });
    assert.notEqual(decoded(other), decoded(a));
    const lines = pluginLog(ground).filter((l) => l.task_id === r.TaskID);
    assert.deepEqual(
      lines.map((l) => l.outcome),
      ["ok", "repeat"],
    );
  });
});

test("a stack whose secret fails: the task is refused and the plugin log carries the reason", async () => {
  await deployStack(
    ground,
    "errs",
    oneSecretStack(ground, {
      replicas: 1,
      labels: { "vsp.path": "secret/errs/app", "vsp.field": "no_such_field" },
    }),
  );
  const taskErr = await waitTaskError(ground, "errs_app");
  assert.match(taskErr, /secret .* not found/, "Swarm shows only 'secret not found'");
  const line = await waitFor("the plugin's reason", async () =>
    pluginLog(ground).find(
      (l) =>
        l.service === "errs_app" &&
        l.secret === "errs_db" &&
        l.outcome === "error" &&
        /no_such_field/.test(String(l.error)),
    ),
  );
  assert.match(String(line.error), /field "no_such_field" not found at secret\/errs\/app/);
  const published = await waitFor(
    "vsp status to show the failure",
    async () => {
      const run = await vsp(ground, ["status", "--json"]);
      const r = JSON.parse(run.stdout) as {
        recentFailures: { service: string; count: number; last: string }[];
      };
      return r.recentFailures.find((f) => f.service === "errs_app" && /no_such_field/.test(f.last));
    },
    30_000,
    1000,
  );
  assert.ok(published.count >= 1);
  const human = await vsp(ground, ["status"]);
  assert.match(human.stdout, /recent failures[\s\S]*errs_app: \d+× .*no_such_field/);
});
