// ground: alone (deploys, rotates and removes the default deployment the other files share).
// The CLI as a user runs it: deploy from nothing, deploy again, status, rotate (under load and
// with a failing step), remove; each checked against the engine and OpenBao themselves.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, test } from "node:test";
import { listAllServices } from "../../src/docker/services.js";
import { type Ground, useGround } from "../ground/ground.js";
import { waitFor } from "../ground/process.js";
import { deployArgs, vsp, vspWithFault } from "../helpers/cli.js";
import { pluginSocket, requestStream } from "../helpers/plugin.js";
import { deployStack, oneSecretStack, pluginLog, removeStack, tasksOf } from "../helpers/swarm.js";
import { bao, kvPut, must, writePolicy } from "../helpers/vault.js";

let ground: Ground;
const pw = `pw-${randomBytes(8).toString("hex")}`;
const timings: Record<string, number> = {};

async function bootstrapSecrets() {
  const list = (await ground.docker.listSecrets({
    filters: JSON.stringify({ label: ["com.vsp.managed-by=vsp", "com.vsp.role=bootstrap-token"] }),
  } as never)) as unknown as { ID: string; Spec: { Name: string; Labels: Record<string, string> } }[];
  return list;
}

async function accessorValid(accessor: string): Promise<boolean> {
  return (await bao(ground, "POST", "auth/token/lookup-accessor", { accessor })).status === 200;
}

async function services() {
  return (await listAllServices(ground.engine)).filter((s) => s.name.startsWith("vsp-"));
}

before(async () => {
  ground = await useGround();
  // Start from nothing: another file may have deployed already.
  await vsp(ground, ["remove", "--purge-vault"]);
  await kvPut(ground, "life/app", { password: pw });
  await writePolicy(ground, "swarm-life_app", 'path "secret/data/life/*" { capabilities = ["read"] }');
});

describe("vsp deploy", () => {
  test("from nothing: Vault objects, bootstrap secret, helper and plugin service exist", async () => {
    const run = await vsp(ground, [...deployArgs(ground), "--json"]);
    timings.deployCold = run.ms;
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { changed: string[]; bootstrapAccessor: string };
    assert.ok(result.changed.length > 0);
    const policy = await must(ground, "GET", "sys/policies/acl/vsp-plugin");
    assert.match(String((policy.data as { policy: string }).policy), /auth\/token\/create\/vsp-task/);
    const role = (await must(ground, "GET", "auth/token/roles/vsp-task")).data as Record<string, unknown>;
    assert.equal(role.orphan, true);
    assert.deepEqual(role.allowed_policies_glob, ["swarm-*"]);
    assert.deepEqual([...(role.disallowed_policies as string[])].sort(), ["root", "vsp-plugin"]);
    assert.ok(Number(role.token_explicit_max_ttl) > 0);
    const secrets = await bootstrapSecrets();
    assert.equal(secrets.length, 1);
    const accessor = secrets[0]!.Spec.Labels["com.vsp.accessor"]!;
    assert.equal(accessor, result.bootstrapAccessor);
    const info = (await must(ground, "POST", "auth/token/lookup-accessor", { accessor })).data as {
      policies: string[];
      role: string;
      ttl: number;
      orphan: boolean;
    };
    assert.deepEqual(info.policies, ["vsp-plugin"]);
    // Periodic through its role (OpenBao renews role tokens by the role's period).
    assert.equal(info.role, "vsp-bootstrap");
    const bootRole = (await must(ground, "GET", "auth/token/roles/vsp-bootstrap")).data as Record<
      string,
      unknown
    >;
    assert.equal(Number(bootRole.token_period), 86_400, "periodic");
    assert.ok(info.ttl > 86_000);
    assert.equal(info.orphan, true);
    assert.deepEqual((await services()).map((s) => s.name).sort(), ["vsp-helper", "vsp-plugin"]);
    assert.doesNotMatch(run.stdout + run.stderr, /\b(hvs|s|b)\.[A-Za-z0-9]{20,}/, "no token in the output");
  });

  test("again with the same inputs: nothing changes and it says so", async () => {
    const before = (await services()).map((s) => `${s.id}@${s.version}`).sort();
    const secretsBefore = (await bootstrapSecrets()).map((s) => s.ID);
    const run = await vsp(ground, [...deployArgs(ground), "--json"]);
    timings.deployRerun = run.ms;
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).changed, []);
    assert.deepEqual((await services()).map((s) => `${s.id}@${s.version}`).sort(), before);
    assert.deepEqual(
      (await bootstrapSecrets()).map((s) => s.ID),
      secretsBefore,
    );
    const human = await vsp(ground, deployArgs(ground));
    assert.match(human.stdout, /nothing changed/);
  });
});

describe("changed settings", () => {
  test("a changed task max TTL changes only the token role", async () => {
    const before = (await services()).map((s) => `${s.id}@${s.version}`).sort();
    const run = await vsp(ground, [...deployArgs(ground, ["--task-max-ttl", "12h"]), "--json"]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).changed, ["token role vsp-task"]);
    assert.equal(
      ((await must(ground, "GET", "auth/token/roles/vsp-task")).data as { token_explicit_max_ttl: number })
        .token_explicit_max_ttl,
      43200,
    );
    assert.deepEqual((await services()).map((s) => `${s.id}@${s.version}`).sort(), before);
    const back = await vsp(ground, [...deployArgs(ground), "--json"]);
    assert.deepEqual(JSON.parse(back.stdout).changed, ["token role vsp-task"]);
  });
});

describe("vsp build", () => {
  test("a failing build step fails the command with the engine's own message", async () => {
    const run = await vsp(ground, ["build", "--base-image", `${ground.registry}/no-such-image:missing`]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /vsp: error: building image .* failed: .*(manifest unknown|not found)/);
  });
});

describe("vsp status", () => {
  test("healthy, with the token Vault knows, exit 0", async () => {
    const run = await vsp(ground, ["status", "--json"]);
    timings.status = run.ms;
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const r = JSON.parse(run.stdout) as {
      healthy: boolean;
      bootstrapToken: { accessor: string; valid: boolean; policies: string[] };
    };
    assert.equal(r.healthy, true);
    const accessor = (await bootstrapSecrets())[0]!.Spec.Labels["com.vsp.accessor"];
    assert.equal(r.bootstrapToken.accessor, accessor);
    assert.equal(r.bootstrapToken.valid, true);
    assert.deepEqual(r.bootstrapToken.policies, ["vsp-plugin"]);
    const human = await vsp(ground, ["status"]);
    assert.match(human.stdout, /healthy/);
  });
});

describe("vsp bootstrap-token rotate", () => {
  test("a failing step rolls back: the old token stays mounted and valid", async () => {
    const [old] = await bootstrapSecrets();
    const oldAccessor = old!.Spec.Labels["com.vsp.accessor"]!;
    const run = await vspWithFault(ground, "fail", "helper", ["bootstrap-token", "rotate", "--grace", "1s"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /rotation failed and was rolled back: simulated failure/);
    const after = await bootstrapSecrets();
    assert.deepEqual(
      after.map((s) => s.ID),
      [old!.ID],
    );
    assert.equal(await accessorValid(oldAccessor), true);
    const status = await vsp(ground, ["status", "--json"]);
    assert.equal(JSON.parse(status.stdout).healthy, true, status.stdout);
  });

  test("under a stream of requests and a scaling service: no failure, old token revoked, old secret gone", async () => {
    const socket = await pluginSocket(ground);
    const [old] = await bootstrapSecrets();
    const oldAccessor = old!.Spec.Labels["com.vsp.accessor"]!;
    await deployStack(
      ground,
      "life",
      oneSecretStack(ground, {
        replicas: 1,
        labels: { "vsp.path": "secret/life/app", "vsp.field": "password" },
      }),
    );
    const stream = requestStream(
      socket,
      (i) => ({
        SecretName: "life_db",
        ServiceName: "life_app",
        TaskID: `rot-${i}`,
        SecretLabels: { "vsp.path": "secret/life/app", "vsp.field": "password" },
      }),
      (v) => v === pw,
    );
    let scaling = true;
    const scaler = (async () => {
      let n = 1;
      while (scaling) {
        n = n === 1 ? 3 : 1;
        await ground.dockerCli(["service", "scale", "--detach", `life_app=${n}`]);
        await new Promise((r) => setTimeout(r, 1500));
      }
    })();
    const run = await vsp(ground, ["bootstrap-token", "rotate", "--grace", "2s", "--json"]);
    timings.rotate = run.ms;
    await new Promise((r) => setTimeout(r, 3000));
    scaling = false;
    await scaler;
    const stats = await stream.stop();
    assert.equal(run.code, 0, run.stderr);
    console.log(
      `rotation under load: ${stats.sent} requests, ${stats.failed} failed, ${stats.wrong} wrong, max ${stats.maxMs} ms`,
    );
    assert.equal(stats.failed, 0, stats.errors.join("\n"));
    assert.equal(stats.wrong, 0);
    assert.ok(stats.sent > 20);
    const result = JSON.parse(run.stdout) as { newAccessor: string; oldAccessor: string };
    assert.equal(result.oldAccessor, oldAccessor);
    assert.equal(await accessorValid(oldAccessor), false, "old token revoked");
    assert.equal(await accessorValid(result.newAccessor), true);
    const now = await bootstrapSecrets();
    assert.equal(now.length, 1, "old secret removed");
    assert.notEqual(now[0]!.ID, old!.ID);
    await waitFor("the plugin to log the new token", async () =>
      pluginLog(ground).find((l) => l.msg === "bootstrap token loaded" && l.accessor === result.newAccessor),
    );
    await ground.dockerCli(["service", "scale", "life_app=2"]);
    const tasks = (await ground.docker.listTasks({
      filters: JSON.stringify({ service: ["life_app"] }),
    } as never)) as unknown as {
      Status: { State: string; Err?: string };
    }[];
    const failed = tasks.filter((t) => t.Status.State === "rejected" || t.Status.State === "failed");
    console.log(
      `scaling during rotation: ${tasks.length} tasks, ${failed.length} failed to get their secret`,
    );
    assert.equal(failed.length, 0, failed.map((t) => t.Status.Err).join("; "));
    assert.ok((await tasksOf(ground, "life_app")).length >= 1);
    await removeStack(ground, "life");
  });

  test("a deploy while a rotation runs stops at once and names the rotation; the rotation completes", async () => {
    const lockNamed = async () =>
      (
        (await ground.docker.listConfigs({ filters: JSON.stringify({ name: ["vsp-lock"] }) })) as unknown as {
          Spec: { Name: string; Labels: Record<string, string> };
        }[]
      ).find((c) => c.Spec.Name === "vsp-lock");
    const rotation = vsp(ground, ["bootstrap-token", "rotate", "--grace", "3s"]);
    try {
      const held = await waitFor("the rotation to hold the run lock", lockNamed, 30_000);
      assert.equal(held.Spec.Labels["com.vsp.lock.command"], "rotate");
      const deploy = await vsp(ground, deployArgs(ground));
      assert.equal(deploy.code, 1, deploy.stderr);
      assert.match(
        deploy.stderr,
        /another run is changing deployment "vsp" \(vsp rotate on .+ pid \d+ since /,
      );
      assert.match(deploy.stderr, /docker config rm vsp-lock/);
    } finally {
      const rotated = await rotation;
      assert.equal(rotated.code, 0, rotated.stderr);
    }
    assert.equal(await lockNamed(), undefined, "the rotation released its lock");
  });
});

describe("vsp remove", () => {
  test("removes what deploy made, warns about user secrets, --purge-vault deletes the Vault objects", async () => {
    await ground.docker
      .createSecret({
        Name: "user_secret",
        Driver: { Name: "vsp" },
        Labels: { "vsp.path": "secret/life/app" },
      } as never)
      .catch(() => undefined);
    const accessor = (await bootstrapSecrets())[0]!.Spec.Labels["com.vsp.accessor"]!;
    const run = await vsp(ground, ["remove", "--purge-vault"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /user_secret/);
    assert.deepEqual(await services(), []);
    assert.deepEqual(await bootstrapSecrets(), []);
    assert.equal((await bao(ground, "GET", "sys/policies/acl/vsp-plugin")).status, 404);
    assert.equal((await bao(ground, "GET", "auth/token/roles/vsp-task")).status, 404);
    assert.equal(await accessorValid(accessor), false);
    const users = (await ground.docker.listSecrets({})) as unknown as { Spec: { Name: string } }[];
    assert.ok(
      users.some((s) => s.Spec.Name === "user_secret"),
      "user secrets are left alone",
    );
    await ground.dockerCli(["secret", "rm", "user_secret"]);
    const status = await vsp(ground, ["status", "--json"]);
    assert.equal(status.code, 1, "status is unhealthy without a deployment");
    console.log(`CLI wall times (ms): ${JSON.stringify(timings)}`);
  });
});
