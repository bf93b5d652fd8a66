// ground: alone (100 tasks at once would slow every other file's waits on 2 cores).
// Load sized for 2 cores: 20 services × 5 replicas deployed at once, then scaled to 7, then
// removed. Every task gets its own correct value, none fails, and no kv task token is left
// behind (accessors counted before and after).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, test } from "node:test";
import { type Ground, useGround } from "../ground/ground.js";
import { waitFor } from "../ground/process.js";
import { ensureDeployed } from "../helpers/cli.js";
import { deployStack, HOST_NETWORK, readSecretInTasks, removeStack, waitRunning } from "../helpers/swarm.js";
import { kvPut, must, writePolicy } from "../helpers/vault.js";

const SERVICES = 20;
const REPLICAS = 5;
const SCALED = 7;
let ground: Ground;
const values: string[] = [];

async function accessors(): Promise<Set<string>> {
  const res = await must(ground, "GET", "auth/token/accessors?list=true");
  return new Set((res.data as { keys: string[] }).keys ?? []);
}

before(async () => {
  ground = await useGround();
  await ensureDeployed(ground);
  for (let i = 0; i < SERVICES; i++) {
    values.push(`load-${i}-${randomBytes(6).toString("hex")}`);
    await kvPut(ground, `load/s${i}`, { value: values[i] });
    await writePolicy(
      ground,
      `swarm-load_s${i}`,
      `path "secret/data/load/s${i}" { capabilities = ["read"] }`,
    );
  }
});

test(`${SERVICES} services × ${REPLICAS} replicas at once, scaled to ${SCALED}, removed: all correct, no leaked kv tokens`, async () => {
  const accessorsBefore = await accessors();
  const services = Array.from(
    { length: SERVICES },
    (_, i) => `  s${i}:
    image: ${ground.state.baseImage}
    command: ["/bin/sleep", "100000"]
    stop_grace_period: 1s
    networks: [hostnet]
    deploy: { replicas: ${REPLICAS} }
    secrets: [{ source: v${i}, target: value }]
`,
  ).join("");
  const secrets = Array.from(
    { length: SERVICES },
    (_, i) => `  v${i}:\n    driver: vsp\n    labels: { vsp.path: secret/load/s${i} }\n`,
  ).join("");
  const t0 = Date.now();
  await deployStack(
    ground,
    "load",
    `version: "3.8"\nservices:\n${services}secrets:\n${secrets}${HOST_NETWORK}`,
  );
  let checked = 0;
  for (let i = 0; i < SERVICES; i++) {
    const tasks = await waitRunning(ground, `load_s${i}`, REPLICAS, 240_000);
    assert.deepEqual(await readSecretInTasks(ground, tasks, "value"), Array(tasks.length).fill(values[i]));
    checked += tasks.length;
  }
  const deployMs = Date.now() - t0;
  const t1 = Date.now();
  for (let i = 0; i < SERVICES; i++)
    await ground.dockerCli(["service", "scale", "--detach", `load_s${i}=${SCALED}`]);
  for (let i = 0; i < SERVICES; i++) {
    const tasks = await waitRunning(ground, `load_s${i}`, SCALED, 240_000);
    assert.deepEqual(await readSecretInTasks(ground, tasks, "value"), Array(tasks.length).fill(values[i]));
    checked += tasks.length - REPLICAS;
  }
  const scaleMs = Date.now() - t1;
  const failed = [];
  for (let i = 0; i < SERVICES; i++) {
    const tasks = (await ground.docker.listTasks({
      filters: JSON.stringify({ service: [`load_s${i}`] }),
    } as never)) as unknown as {
      Status: { State: string; Err?: string };
    }[];
    failed.push(...tasks.filter((t) => ["rejected", "failed"].includes(t.Status.State)));
  }
  const t2 = Date.now();
  await removeStack(ground, "load");
  const removeMs = Date.now() - t2;
  // kv task tokens are single-use: Vault revokes them itself once used.
  const newAccessors = async () => [...(await accessors())].filter((a) => !accessorsBefore.has(a));
  const leaked = await waitFor(
    "kv task tokens to be gone",
    async () => ((await newAccessors()).length === 0 ? [] : undefined),
    30_000,
  ).catch(() => newAccessors());
  console.log(
    `load: ${checked} tasks checked, ${failed.length} failed; deploy ${deployMs} ms, scale to ${SCALED} ${scaleMs} ms, remove ${removeMs} ms; ${leaked.length} token accessors more than before (of ${accessorsBefore.size})`,
  );
  assert.equal(failed.length, 0, failed.map((t) => t.Status.Err).join("; "));
  assert.equal(checked, SERVICES * SCALED);
  assert.equal(leaked.length, 0, "no kv task token outlives its request");
});
