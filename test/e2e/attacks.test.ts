// What someone who can write Swarm objects (but holds no Vault token) tries against the
// operator: a Vault address planted in a label, terminal escape sequences in a status board.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { type Ground, useGround } from "../ground/ground.js";
import { deployArgs, ensureDeployed, vsp } from "../helpers/cli.js";
import { bao } from "../helpers/vault.js";

let ground: Ground;

before(async () => {
  ground = await useGround();
  await ensureDeployed(ground);
});

/** A loopback HTTP server that records every request it gets (a fake Vault). */
async function listener(): Promise<{
  url: string;
  seen: { path: string; token: boolean }[];
  close: () => Promise<void>;
}> {
  const seen: { path: string; token: boolean }[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? "", token: req.headers["x-vault-token"] !== undefined });
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end('{"initialized":true,"sealed":false}');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function setPluginLabel(key: string, value: string | undefined): Promise<string | undefined> {
  const service = ground.docker.getService("vsp-plugin");
  const info = (await service.inspect()) as {
    Version: { Index: number };
    Spec: { Labels?: Record<string, string> };
  };
  const labels = { ...(info.Spec.Labels ?? {}) };
  const old = labels[key];
  if (value === undefined) delete labels[key];
  else labels[key] = value;
  await service.update({ ...info.Spec, Labels: labels, version: info.Version.Index } as never);
  return old;
}

describe("Swarm labels do not steer the operator's Vault token", () => {
  let fake: Awaited<ReturnType<typeof listener>>;
  let original: string | undefined;
  before(async () => {
    fake = await listener();
    original = await setPluginLabel("com.vsp.vault-addr", fake.url);
  });
  after(async () => {
    await setPluginLabel("com.vsp.vault-addr", original);
    await fake.close();
  });

  test("vsp status without VAULT_ADDR contacts no address read from Swarm, and says Vault was not checked", async () => {
    const run = await vsp(ground, ["status", "--json"], { VAULT_ADDR: "" });
    const report = JSON.parse(run.stdout) as { problems: string[] };
    assert.deepEqual(fake.seen, []);
    assert.ok(
      report.problems.some((p) => /Vault not checked: set VAULT_ADDR/.test(p)),
      run.stdout,
    );
  });

  test("vsp status with VAULT_ADDR uses only it, and reports the planted address as a mismatch", async () => {
    const run = await vsp(ground, ["status", "--json"]);
    const report = JSON.parse(run.stdout) as { problems: string[]; vault: { addr: string } };
    assert.deepEqual(fake.seen, []);
    assert.equal(report.vault.addr, ground.vaultAddr);
    assert.ok(
      report.problems.some((p) => p.includes(`says it uses Vault at ${fake.url}`)),
      run.stdout,
    );
  });
});

describe("text from Swarm objects reaches the terminal without control characters", () => {
  let configId: string;
  before(async () => {
    const evil = "\u001b]0;owned\u0007\u001b[2J\u009b31m";
    const created = (await ground.docker.createConfig({
      Name: `vsp-plugin-status-forged${Date.now()}`,
      Labels: {
        "com.vsp.managed-by": "vsp",
        "com.vsp.role": "plugin-status",
        "com.vsp.failures": JSON.stringify([
          { service: `svc${evil}`, count: 1, last: `boom${evil}`, at: evil },
        ]),
      },
      Data: Buffer.from("x").toString("base64"),
    } as never)) as { id?: string; ID?: string };
    configId = created.id ?? created.ID ?? "";
  });
  after(async () => {
    await ground.docker
      .getConfig(configId)
      .remove()
      .catch(() => undefined);
  });

  test("vsp status prints a forged failure board escaped", async () => {
    const run = await vsp(ground, ["status"]);
    const out = run.stdout + run.stderr;
    assert.match(out, /boom/);
    assert.doesNotMatch(out, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});

describe("no deployment lets a service name pick any policy", () => {
  test("--policy-prefix '' without --task-policies, or with '*', is a usage error and changes nothing", async () => {
    for (const extra of [[], ["--task-policies", "*"], ["--task-policies", "app-*,**"]]) {
      const run = await vsp(ground, [
        ...deployArgs(ground, ["--name", "wide", "--policy-prefix", "", ...extra]),
      ]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /task policies|would allow every policy/);
    }
    const role = await bao(ground, "GET", "auth/token/roles/wide-task");
    assert.equal(role.status, 404);
  });
});
