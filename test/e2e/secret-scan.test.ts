// ground: alone (rotates the default deployment and searches every log for every token of the run).
// No secret value and no token reaches a log, a service or plugin spec, an environment or CLI
// output. OpenBao's audit device (raw) tells every token minted in this run; each one, the
// bootstrap token and every test value are then searched for everywhere vsp leaves text.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { listAllServices } from "../../src/docker/services.js";
import { type Ground, useGround } from "../ground/ground.js";
import { deployArgs, vsp } from "../helpers/cli.js";
import {
  deployStack,
  execIn,
  HOST_NETWORK,
  readSecretInTasks,
  removeStack,
  sleeper,
  waitRunning,
} from "../helpers/swarm.js";
import { kvPut, writePolicy } from "../helpers/vault.js";

let ground: Ground;
let auditFrom = 0;
const value = `scan-${randomBytes(12).toString("hex")}`;
const outputs: string[] = [];

before(async () => {
  ground = await useGround();
  auditFrom = fs.existsSync(ground.state.bao.auditLog) ? fs.statSync(ground.state.bao.auditLog).size : 0;
  await kvPut(ground, "scan/app", { password: value });
  await writePolicy(ground, "swarm-scan_app", 'path "secret/data/scan/*" { capabilities = ["read"] }');
  for (const args of [
    [...deployArgs(ground), "--json"],
    deployArgs(ground),
    ["status"],
    ["status", "--json"],
    ["bootstrap-token", "rotate", "--grace", "1s", "--json"],
    ["status", "--verbose"],
  ]) {
    const run = await vsp(ground, args);
    assert.equal(run.code, 0, run.stderr);
    outputs.push(run.stdout, run.stderr);
  }
});
after(async () => {
  if (!ground) return;
  await removeStack(ground, "scan");
});

function tokensFromAudit(file: string, from: number): string[] {
  const found = new Set<string>();
  for (const line of fs.readFileSync(file).subarray(from).toString("utf8").split("\n")) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line) as {
      type: string;
      response?: { auth?: { client_token?: string }; wrap_info?: { token?: string } };
    };
    if (entry.type !== "response") continue;
    if (entry.response?.auth?.client_token) found.add(entry.response.auth.client_token);
    if (entry.response?.wrap_info?.token) found.add(entry.response.wrap_info.token);
  }
  found.delete(ground.rootToken);
  return [...found];
}

test("values and tokens appear in no log, spec, environment or CLI output", async () => {
  const compose = `version: "3.8"
services:
${sleeper(ground, "app", 2, "[db, tok, wrapped]")}secrets:
  db: { driver: vsp, labels: { vsp.path: secret/scan/app, vsp.field: password } }
  tok: { driver: vsp, labels: { vsp.type: token } }
  wrapped: { driver: vsp, labels: { vsp.type: token, vsp.wrap: "true" } }
${HOST_NETWORK}`;
  await deployStack(ground, "scan", compose);
  const first = await waitRunning(ground, "scan_app", 2);
  const firstTokens = await readSecretInTasks(ground, first, "tok");
  // The newer commands' output too: check (people and --json), refresh (rolls new tokens).
  const file = path.join(ground.tempDir("scan-check"), "compose.yml");
  fs.writeFileSync(file, compose);
  for (const args of [
    ["check", "-c", file, "scan"],
    ["check", "-c", file, "scan", "--json"],
    ["refresh", "scan_app", "--json"],
    ["status", "--json"],
  ]) {
    const run = await vsp(ground, args);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    outputs.push(run.stdout, run.stderr);
  }
  const tasks = await waitRunning(ground, "scan_app", 2);
  assert.deepEqual(await readSecretInTasks(ground, tasks, "db"), [value, value]);
  const delivered = [
    ...firstTokens,
    ...(await readSecretInTasks(ground, tasks, "tok")),
    ...(await readSecretInTasks(ground, tasks, "wrapped")),
  ];
  const helper = (await ground.docker.listContainers({ filters: { label: ["com.vsp.role=helper"] } }))[0]!;
  const bootstrap = (
    await execIn(ground.docker, helper.Id, ["cat", "/run/secrets/vsp-bootstrap-token"])
  ).trim();

  const minted = tokensFromAudit(ground.state.bao.auditLog, auditFrom);
  const needles = [...new Set([value, bootstrap, ...delivered, ...minted])].filter((n) => n.length >= 8);
  assert.ok(minted.length >= 6, `the audit log saw the tokens of this run (${minted.length})`);

  const docker = ground.docker;
  const haystacks: Record<string, string> = {
    "dockerd and plugin log": fs.readFileSync(path.join(ground.state.dockerd.dir, "dockerd.log"), "utf8"),
    "CLI output": outputs.join("\n"),
  };
  haystacks["service specs"] = JSON.stringify(await listAllServices(ground.engine));
  haystacks["plugin inspect (settings, env)"] = JSON.stringify(await docker.listPlugins({}));
  const containers = await docker.listContainers({ all: true });
  haystacks["container inspect (env, labels)"] = JSON.stringify(
    await Promise.all(containers.map((c) => docker.getContainer(c.Id).inspect())),
  );
  haystacks["secret and config metadata"] = JSON.stringify([
    await docker.listSecrets({}),
    await docker.listConfigs({}),
  ]);
  haystacks["task specs"] = JSON.stringify(await docker.listTasks({}));

  const hits: string[] = [];
  for (const [where, text] of Object.entries(haystacks)) {
    for (const n of needles)
      if (text.includes(n))
        hits.push(
          `${where} holds ${n.slice(0, 4)}… (${n === value ? "a KV value" : n === bootstrap ? "the bootstrap token" : "a token"})`,
        );
  }
  console.log(
    `scan: ${needles.length} values/tokens (${minted.length} minted in this run) searched in ${Object.keys(haystacks).length} places, ${Object.values(haystacks).reduce((n, t) => n + t.length, 0)} bytes: ${hits.length} hits`,
  );
  assert.deepEqual(hits, []);
});
