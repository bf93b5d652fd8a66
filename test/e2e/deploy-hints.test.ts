// deploy with the base images and sockets operators get wrong: node elsewhere on the PATH works,
// no node fails before anything is pushed, a wrong --docker-socket fails fast with the engine's
// own error and the matching hint. Each uses its own deployment name and removes it after.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { buildBaseImage } from "../ground/base-image.js";
import { type Ground, useGround } from "../ground/ground.js";
import { deployArgs, vsp } from "../helpers/cli.js";

let ground: Ground;
const names: string[] = [];

before(async () => {
  ground = await useGround();
});
after(async () => {
  for (const name of names) await vsp(ground, ["remove", "--name", name, "--purge-vault"]);
});

async function catalog(): Promise<string[]> {
  const res = await fetch(`http://${ground.registry}/v2/_catalog`);
  return ((await res.json()) as { repositories?: string[] }).repositories ?? [];
}

function withFlag(args: string[], flag: string, value: string): string[] {
  const out = [...args];
  const i = out.indexOf(flag);
  if (i >= 0) out[i + 1] = value;
  else out.push(flag, value);
  return out;
}

test("a base image whose node is only at /usr/bin/node deploys, and the probe round trip works", async () => {
  const image = await buildBaseImage(ground.docker, ground.state.binaries.busybox, ground.state.root, {
    tag: "vsp-test/node-usr-bin:local",
    nodeAt: "/usr/bin/node",
    pathVar: "/usr/sbin:/usr/bin:/sbin:/bin",
  });
  names.push("vspusrbin");
  const run = await vsp(ground, [
    ...withFlag(deployArgs(ground), "--base-image", image),
    "--name",
    "vspusrbin",
    "--verbose",
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /node is at \/usr\/bin\/node/);
  assert.match(run.stderr, /probe/);
});

test("a base image without node fails before anything is pushed, naming the base image", async () => {
  const image = await buildBaseImage(ground.docker, ground.state.binaries.busybox, ground.state.root, {
    tag: "vsp-test/no-node:local",
    nodeAt: null,
    pathVar: "/usr/local/bin:/usr/bin:/bin",
  });
  names.push("vspnonode");
  const run = await vsp(ground, [
    ...withFlag(deployArgs(ground), "--base-image", image),
    "--name",
    "vspnonode",
  ]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /base image vsp-test\/no-node:local has no node on its PATH/);
  assert.match(run.stderr, /--base-image/);
  assert.ok(!(await catalog()).some((r) => r.startsWith("vspnonode")), "nothing was pushed");
});

test("a wrong --docker-socket fails within 30 s with the engine's mount error and the --docker-socket hint", async () => {
  names.push("vspsock");
  const run = await vsp(ground, [
    ...withFlag(deployArgs(ground), "--docker-socket", "/nonexistent/docker.sock"),
    "--name",
    "vspsock",
  ]);
  process.stderr.write(`[hints] wrong socket: exit ${run.code} after ${run.ms} ms\n${run.stderr}\n`);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /\/nonexistent\/docker\.sock/);
  assert.match(run.stderr, /--docker-socket/);
  assert.ok(run.ms < 30_000, `failed after ${run.ms} ms`);
});
