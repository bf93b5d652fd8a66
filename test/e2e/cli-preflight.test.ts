// ground: alone (its failing deploys of the default deployment must not meet another run's lock).
// Every preflight failure of vsp deploy has its own message, a hint and exit code 1 (2 for usage),
// each provoked for real: a second engine without swarm / experimental, a dead registry port,
// a dead Vault port, a sealed file-storage OpenBao, a bad token.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import Docker from "dockerode";
import { type DockerdState, initSwarm, startDockerd, stopDockerd } from "../ground/dockerd.js";
import { type Ground, useGround } from "../ground/ground.js";
import { type OpenBaoState, sealOpenBao, startOpenBao, stopOpenBao } from "../ground/openbao.js";
import { freePort } from "../ground/process.js";
import { deployArgs, vsp } from "../helpers/cli.js";

let ground: Ground;
let plain: DockerdState | undefined;
let sealed: OpenBaoState | undefined;

before(async () => {
  ground = await useGround();
  [plain, sealed] = await Promise.all([
    startDockerd(ground.state.engine, ground.tempDir("plain-dockerd"), {
      experimental: false,
      swarm: false,
    }),
    startOpenBao(ground.state.binaries.bao, ground.tempDir("sealed-bao"), "file"),
  ]);
  await sealOpenBao(sealed);
});
after(async () => {
  if (plain) await stopDockerd(plain);
  if (sealed) await stopOpenBao(sealed);
});

async function expectFailure(
  args: string[],
  env: NodeJS.ProcessEnv,
  message: RegExp,
  hint: RegExp,
  code = 1,
) {
  const run = await vsp(ground, args, env, 60_000);
  assert.equal(run.code, code, `exit code for ${message}: ${run.stderr}`);
  assert.match(run.stderr, message);
  assert.match(run.stderr, hint);
  assert.ok(!run.stderr.includes(ground.rootToken), "the operator token is never printed");
  return run;
}

test("no --registry is a usage error (exit 2)", async () => {
  await expectFailure(["deploy"], {}, /--registry is required/, /what to do: pass --registry/, 2);
});

test("an unreachable engine", async () => {
  await expectFailure(
    deployArgs(ground),
    { DOCKER_HOST: `unix://${path.join(ground.state.root, "nope.sock")}` },
    /cannot reach the Docker engine/,
    /DOCKER_HOST/,
  );
});

test("an engine outside a swarm, then --mode service on a swarm without experimental features", async () => {
  const env = { DOCKER_HOST: `unix://${plain!.socket}` };
  await expectFailure(deployArgs(ground), env, /is not part of a swarm/, /docker swarm init/);
  await initSwarm(new Docker({ socketPath: plain!.socket }), await freePort());
  await expectFailure(
    deployArgs(ground, ["--mode", "service"]),
    env,
    /runs without experimental features/,
    /--mode installer .*"experimental": true/,
  );
});

test("a registry that does not answer", async () => {
  const args = deployArgs(ground);
  args[args.indexOf("--registry") + 1] = `127.0.0.1:${await freePort()}`;
  await expectFailure(args, {}, /the registry 127\.0\.0\.1:\d+ does not answer/, /start the registry/);
});

test("Vault down, Vault sealed, a bad token", async () => {
  await expectFailure(
    deployArgs(ground),
    { VAULT_ADDR: `http://127.0.0.1:${await freePort()}` },
    /Vault at .* is unreachable/,
    /start Vault or fix VAULT_ADDR/,
  );
  await expectFailure(
    deployArgs(ground),
    { VAULT_ADDR: sealed!.addr, VAULT_TOKEN: sealed!.rootToken },
    /Vault at .* is sealed/,
    /unseal it/,
  );
  await expectFailure(
    deployArgs(ground),
    { VAULT_TOKEN: "not-a-token" },
    /Vault rejects VAULT_TOKEN/,
    /export a valid operator VAULT_TOKEN/,
  );
  await expectFailure(deployArgs(ground), { VAULT_TOKEN: "" }, /no Vault token/, /set VAULT_TOKEN/, 2);
});
