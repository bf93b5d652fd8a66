// ground: alone (restarts the ground's dockerd and OpenBao, seals OpenBao, revokes the deployment's token).
// Faults with the plugin under a steady stream of requests: OpenBao stopped / sealed, the
// bootstrap token revoked behind vsp's back, the helper gone, a rotation killed mid-way, the
// engine restarted, a registry down at deploy. Each prints sent / failed as expected / wrong
// values (must be 0) / recovery time.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { restartDockerd } from "../ground/dockerd.js";
import { type Ground, saveState, useGround } from "../ground/ground.js";
import {
  baoApi,
  type OpenBaoState,
  restartOpenBao,
  sealOpenBao,
  startOpenBao,
  stopOpenBao,
  unsealOpenBao,
} from "../ground/openbao.js";
import { freePort, waitFor } from "../ground/process.js";
import { deployArgs, vsp, vspWithFault } from "../helpers/cli.js";
import { decoded, getSecret, pluginSocket, requestStream, type StreamStats } from "../helpers/plugin.js";

let ground: Ground;
let bao: OpenBaoState;
let socket = "";
const NAME = "vf";
const pw = `pw-${randomBytes(8).toString("hex")}`;
const figures: Record<string, unknown>[] = [];

function engineApi(method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: ground.state.dockerd.socket, method, path }, (res) => {
      res.resume();
      res.on("end", () =>
        res.statusCode && res.statusCode < 300
          ? resolve(res.statusCode)
          : reject(new Error(`${method} ${path}: ${res.statusCode}`)),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

function vfEnv(): NodeJS.ProcessEnv {
  return { VAULT_ADDR: bao.addr, VAULT_TOKEN: bao.rootToken };
}
const api = (method: string, path: string, body?: unknown) =>
  baoApi(bao.addr, method, path, bao.rootToken, body);
/** A fixture call: anything but 2xx stops the test with OpenBao's answer. */
async function mustApi(method: string, path: string, body?: unknown): Promise<void> {
  const r = await api(method, path, body);
  if (r.status >= 300) throw new Error(`OpenBao ${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
}

function request(kind: "kv" | "token", i: number): Record<string, unknown> {
  return {
    SecretName: kind === "kv" ? "vf_db" : "vf_tok",
    ServiceName: "vf_app",
    // Swarm-shaped IDs: token credentials are recorded per task and service.
    TaskID: `vf${Date.now().toString(36)}x${i.toString(36)}`,
    ServiceID: "vfservice0000000000000001",
    SecretLabels:
      kind === "kv"
        ? { "vsp.path": "secret/vf/app", "vsp.field": "password" }
        : { "vsp.type": "token", "vsp.ttl": "1m" },
  };
}

function check(kind: "kv" | "token", value: string): boolean {
  return kind === "kv" ? value === pw : /^s\.[A-Za-z0-9]{20,}$/.test(value);
}

/**
 * A request every 100 ms. kv values are read with the service's cached read token (a batch token,
 * which outlives a revoked bootstrap token by up to a minute); "token" requests mint with the
 * bootstrap token each time, so they feel a fault of that token at once.
 */
function stream(kind: "kv" | "token" = "kv") {
  return requestStream(
    socket,
    (i) => request(kind, i),
    (v) => check(kind, v),
    100,
  );
}

/**
 * Until one request gets the right value. The plugin's socket is looked up before each try: if
 * Swarm replaced the plugin meanwhile it has a new ID and so a new socket (logged, as it is news).
 */
async function untilServing(kind: "kv" | "token" = "kv"): Promise<number> {
  const started = Date.now();
  const last: string[] = [];
  let i = 0;
  try {
    await waitFor(
      "the plugin to serve again",
      async () => {
        const now = await pluginSocket(ground, NAME).catch((e: Error) => {
          last.push(e.message);
          return undefined;
        });
        if (!now) return undefined;
        if (socket && now !== socket)
          console.log(`faults: plugin ${NAME} has a new socket (${socket} → ${now})`);
        socket = now;
        const req = request(kind, i++);
        const answer = await getSecret(socket, req).catch((e: Error) => {
          last.push(e.message);
          return undefined;
        });
        const value = answer && decoded(answer);
        if (answer && value === undefined) last.push(String(answer.body.Err));
        if (value !== undefined && !check(kind, value)) last.push("a wrong value");
        return value !== undefined && check(kind, value) ? true : undefined;
      },
      120_000,
      100,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last answers: ${last.slice(-3).join(" | ")}`);
  }
  return Date.now() - started;
}

function report(scenario: string, stats: StreamStats, expected: RegExp, recoveryMs: number): void {
  const asExpected = stats.errors.every((e) => expected.test(e));
  const row = {
    scenario,
    sent: stats.sent,
    failed: stats.failed,
    failedAsExpected: asExpected,
    wrong: stats.wrong,
    maxMs: stats.maxMs,
    recoveryMs,
  };
  figures.push(row);
  console.log(`fault ${JSON.stringify(row)}`);
  assert.equal(stats.wrong, 0, "never a wrong value");
  assert.ok(stats.failed > 0, "the fault was felt");
  assert.ok(asExpected, `every error names the cause: ${stats.errors.slice(0, 3).join(" | ")}`);
}

async function duringFault(ms: number, kind: "kv" | "token" = "kv"): Promise<StreamStats> {
  const s = stream(kind);
  await new Promise((r) => setTimeout(r, ms));
  return s.stop();
}

before(async () => {
  ground = await useGround();
  bao = await startOpenBao(ground.state.binaries.bao, ground.tempDir("faults-bao"), "file");
  await mustApi("POST", "secret/data/vf/app", { data: { password: pw } });
  await mustApi("PUT", "sys/policies/acl/swarm-vf_app", {
    policy: 'path "secret/data/vf/*" { capabilities = ["read"] }',
  });
  const run = await vsp(ground, [...deployArgs(ground, ["--name", NAME]), "--json"], vfEnv());
  assert.equal(run.code, 0, run.stderr);
  assert.ok((await untilServing()) >= 0);
});
after(async () => {
  if (ground) await vsp(ground, ["remove", "--name", NAME, "--purge-vault"], vfEnv());
  if (bao) await stopOpenBao(bao);
  console.log(`fault table: ${JSON.stringify(figures)}`);
});

describe("Vault faults", () => {
  test("OpenBao stopped: errors name Vault as unreachable, within the timeout; recovery with no plugin restart", async () => {
    await stopOpenBao(bao);
    const stats = await duringFault(3000);
    assert.ok(
      stats.maxMs < 5000 * 3 + 1000,
      `every answer within the configured timeout (max ${stats.maxMs} ms)`,
    );
    await restartOpenBao(ground.state.binaries.bao, bao);
    report(
      "OpenBao stopped",
      stats,
      /Vault at http:\/\/127\.0\.0\.1:\d+ is unreachable/,
      await untilServing(),
    );
  });

  test("OpenBao sealed: the error says sealed; recovery after unseal", async () => {
    await sealOpenBao(bao);
    const stats = await duringFault(2000);
    await unsealOpenBao(bao);
    report("OpenBao sealed", stats, /Vault is sealed/, await untilServing());
  });

  test("bootstrap token revoked behind vsp's back: minting fails naming the rotate command; rotate recovers", async () => {
    const secrets = (await ground.docker.listSecrets({
      filters: JSON.stringify({ label: [`com.vsp.managed-by=${NAME}`] }),
    } as never)) as unknown as {
      Spec: { Labels: Record<string, string> };
    }[];
    await api("POST", "auth/token/revoke-accessor", {
      accessor: secrets[0]!.Spec.Labels["com.vsp.accessor"],
    });
    const stats = await duringFault(2000, "token");
    const started = Date.now();
    const rot = await vsp(ground, ["bootstrap-token", "rotate", "--name", NAME, "--grace", "1s"], vfEnv());
    assert.equal(rot.code, 0, rot.stderr);
    const recovery = Date.now() - started + (await untilServing("token"));
    report("bootstrap token revoked", stats, /run vsp bootstrap-token rotate/, recovery);
  });
});

describe("helper and rotation faults", () => {
  test("helper removed: the plugin keeps serving with its token; a rejected token then says to redeploy; deploy recovers", async () => {
    const helper = (await ground.docker.listServices({
      filters: JSON.stringify({ name: [`${NAME}-helper`] }),
    } as never)) as unknown as { ID: string }[];
    await ground.docker.getService(helper[0]!.ID).remove();
    await waitFor("the helper container to go", async () =>
      (
        await ground.docker.listContainers({
          filters: { label: [`com.vsp.managed-by=${NAME}`, "com.vsp.role=helper"] },
        })
      ).length === 0
        ? true
        : undefined,
    );
    const cached = await duringFault(1000);
    assert.equal(cached.failed, 0, "the plugin's token outlives the helper");
    const self = (await ground.docker.listSecrets({
      filters: JSON.stringify({ label: [`com.vsp.managed-by=${NAME}`] }),
    } as never)) as unknown as {
      Spec: { Labels: Record<string, string> };
    }[];
    await api("POST", "auth/token/revoke-accessor", { accessor: self[0]!.Spec.Labels["com.vsp.accessor"] });
    const stats = await duringFault(2000, "token");
    const started = Date.now();
    const run = await vsp(ground, [...deployArgs(ground, ["--name", NAME])], vfEnv());
    assert.equal(run.code, 0, run.stderr);
    report(
      "helper removed + token revoked",
      stats,
      /no helper service vf-helper in this swarm; run vsp deploy|no running helper task of "vf" on this node; run vsp deploy/,
      Date.now() - started + (await untilServing("token")),
    );
  });

  test("a rotation killed after each step: status says so, the next rotation leaves one valid token and one secret", async () => {
    for (const step of ["secret", "helper"] as const) {
      const s = stream();
      const killed = await vspWithFault(
        ground,
        "crash",
        step,
        ["bootstrap-token", "rotate", "--name", NAME],
        vfEnv(),
      );
      assert.notEqual(killed.code, 0);
      const status = await vsp(ground, ["status", "--name", NAME, "--json"], vfEnv());
      const r = JSON.parse(status.stdout) as { healthy: boolean; problems: string[] };
      assert.equal(status.code, 1);
      assert.ok(
        r.problems.some((p) => /bootstrap secrets exist .* run vsp bootstrap-token rotate/.test(p)),
        r.problems.join("; "),
      );
      const rot = await vsp(ground, ["bootstrap-token", "rotate", "--name", NAME, "--grace", "1s"], vfEnv());
      assert.equal(rot.code, 0, rot.stderr);
      const stats = await s.stop();
      const secrets = (await ground.docker.listSecrets({
        filters: JSON.stringify({ label: [`com.vsp.managed-by=${NAME}`, "com.vsp.role=bootstrap-token"] }),
      } as never)) as unknown as {
        Spec: { Labels: Record<string, string> };
      }[];
      assert.equal(secrets.length, 1, "one secret");
      const valid = [];
      for (const sec of secrets)
        if (
          (await api("POST", "auth/token/lookup-accessor", { accessor: sec.Spec.Labels["com.vsp.accessor"] }))
            .status === 200
        )
          valid.push(sec);
      assert.equal(valid.length, 1, "one valid token");
      const healthy = await vsp(ground, ["status", "--name", NAME, "--json"], vfEnv());
      assert.equal(JSON.parse(healthy.stdout).healthy, true, healthy.stdout);
      figures.push({
        scenario: `rotate killed after ${step}`,
        sent: stats.sent,
        failed: stats.failed,
        wrong: stats.wrong,
      });
      console.log(`fault ${JSON.stringify(figures.at(-1))}`);
      assert.equal(stats.failed, 0, stats.errors.join("; "));
      assert.equal(stats.wrong, 0);
    }
  });
});

describe("engine faults", () => {
  test("plugin disabled and enabled again by the engine: it serves again", async () => {
    const started = Date.now();
    await engineApi("POST", `/plugins/${NAME}:latest/disable?force=1`);
    const stats = await duringFault(1000);
    await engineApi("POST", `/plugins/${NAME}:latest/enable?timeout=30`);
    socket = await pluginSocket(ground, NAME);
    const recoveryMs = Date.now() - started + (await untilServing());
    // The engine may hand the re-enabled plugin back without its Docker socket mount: the plugin
    // notices within seconds and exits, the engine starts it again with its mounts, and a
    // rotation afterwards still works.
    await new Promise((r) => setTimeout(r, 8000));
    socket = await waitFor(
      "the plugin socket",
      () => pluginSocket(ground, NAME).catch(() => undefined),
      60_000,
    );
    const rot = await vsp(ground, ["bootstrap-token", "rotate", "--name", NAME, "--grace", "1s"], vfEnv());
    figures.push({
      scenario: "plugin disabled/enabled",
      sent: stats.sent,
      failed: stats.failed,
      wrong: stats.wrong,
      recoveryMs,
    });
    console.log(`fault ${JSON.stringify(figures.at(-1))}`);
    assert.equal(stats.wrong, 0);
    assert.equal(rot.code, 0, `rotation after re-enable: ${rot.stderr}`);
  });

  test("dockerd restarted: the plugin service comes back and serves", async () => {
    const started = Date.now();
    await restartDockerd(ground.state.engine, ground.state.dockerd);
    saveState(ground);
    socket = await waitFor(
      "the plugin back after the restart",
      () => pluginSocket(ground, NAME).catch(() => undefined),
      120_000,
      500,
    );
    const recoveryMs = Date.now() - started + (await untilServing());
    figures.push({ scenario: "dockerd restarted", recoveryMs });
    console.log(`fault ${JSON.stringify(figures.at(-1))}`);
    await waitFor(
      "the default plugin back too",
      () => pluginSocket(ground, "vsp").catch(() => "none"),
      60_000,
    );
  });

  test("registry down during vsp deploy: a clear error and nothing half-created", async () => {
    const args = deployArgs(ground, ["--name", "vr"]);
    args[args.indexOf("--registry") + 1] = `127.0.0.1:${await freePort()}`;
    const run = await vsp(ground, args, vfEnv());
    assert.equal(run.code, 1);
    assert.match(run.stderr, /the registry .* does not answer/);
    const leftovers = [
      ...((await ground.docker.listServices({
        filters: JSON.stringify({ label: ["com.vsp.managed-by=vr"] }),
      } as never)) as unknown as unknown[]),
      ...((await ground.docker.listSecrets({
        filters: JSON.stringify({ label: ["com.vsp.managed-by=vr"] }),
      } as never)) as unknown as unknown[]),
    ];
    assert.equal(leftovers.length, 0);
    assert.equal((await api("GET", "sys/policies/acl/vr-plugin")).status, 404);
    figures.push({ scenario: "registry down at deploy", objectsLeft: leftovers.length });
  });
});
