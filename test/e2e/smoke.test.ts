// The ground is real: vsp deploy (built CLI) → plugin service from the registry → a stack with a
// driver: vsp secret → the task reads the value written to OpenBao in this run.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { findService } from "../../src/docker/services.js";
import { type Ground, useGround } from "../ground/ground.js";
import { ensureDeployed } from "../helpers/cli.js";
import {
  deployStack,
  oneSecretStack,
  readSecretInTasks,
  removeStack,
  waitRunning,
} from "../helpers/swarm.js";
import { kvPut, writePolicy } from "../helpers/vault.js";

let ground: Ground;
const stack = "smoke";

before(async () => {
  ground = await useGround();
  await ensureDeployed(ground);
});
after(async () => {
  if (ground) await removeStack(ground, stack);
});

test("a stack's driver: vsp secret carries the value written to OpenBao in this run", async () => {
  const password = `pw-${randomBytes(12).toString("hex")}`;
  await kvPut(ground, "smoke/db", { password });
  await writePolicy(ground, "swarm-smoke_app", 'path "secret/data/smoke/*" { capabilities = ["read"] }');

  const pluginService = await findService(ground.engine, "vsp-plugin");
  assert.ok(pluginService, "the plugin runs as a plugin service");
  const spec = pluginService.spec as unknown as {
    TaskTemplate: { Runtime: string; PluginSpec: { remote: string } };
  };
  assert.equal(spec.TaskTemplate.Runtime, "plugin");
  assert.ok(
    spec.TaskTemplate.PluginSpec.remote.startsWith(`${ground.registry}/`),
    "pulled from the ground's registry",
  );

  await deployStack(
    ground,
    stack,
    oneSecretStack(ground, {
      replicas: 2,
      target: "db_password",
      labels: { "vsp.path": "secret/smoke/db", "vsp.field": "password" },
    }),
  );
  const tasks = await waitRunning(ground, `${stack}_app`, 2);
  const values = await readSecretInTasks(ground, tasks, "db_password");
  assert.deepEqual(values, [password, password]);
});
