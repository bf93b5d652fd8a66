// ground: alone (switches the default deployment between modes).
// Installer mode on the single-node ground (forced with --mode installer; the 3-manager ground
// without experimental features proves auto mode): a global installer service installs the
// plugin on its node from the registry, keeps it enabled, reports per node, and takes it off
// again; switching modes both ways leaves one plugin, one carrier service.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { listAllServices } from "../../src/docker/services.js";
import { type Ground, useGround } from "../ground/ground.js";
import { waitFor } from "../ground/process.js";
import { deployArgs, vsp } from "../helpers/cli.js";
import {
  deployStack,
  oneSecretStack,
  readSecretInTasks,
  removeStack,
  waitRunning,
} from "../helpers/swarm.js";
import { kvPut, writePolicy } from "../helpers/vault.js";

let ground: Ground;
const pw = `pw-${randomBytes(8).toString("hex")}`;
const FAST = { VSP_INSTALL_INTERVAL_MS: "1000" };

interface RawPlugin {
  Name: string;
  Enabled: boolean;
  PluginReference: string;
}

async function plugins(): Promise<RawPlugin[]> {
  return (await ground.docker.listPlugins()) as unknown as RawPlugin[];
}

async function vspServices(): Promise<string[]> {
  return (await listAllServices(ground.engine))
    .filter((s) => s.name.startsWith("vsp-"))
    .map((s) => s.name)
    .sort();
}

async function installReports(): Promise<unknown[]> {
  return ground.docker.listConfigs({
    filters: JSON.stringify({ label: ["com.vsp.managed-by=vsp", "com.vsp.role=install-report"] }),
  });
}

before(async () => {
  ground = await useGround();
  await vsp(ground, ["remove", "--purge-vault"]);
  await kvPut(ground, "inst/app", { password: pw });
  await writePolicy(ground, "swarm-inst_app", 'path "secret/data/inst/*" { capabilities = ["read"] }');
});

after(async () => {
  await removeStack(ground, "inst");
  // Leave the ground as the other files expect it: plugin-service mode.
  await vsp(ground, ["remove"]);
});

let pluginRef = "";

test("--mode installer: the installer service installs and enables the plugin; a stack gets its value", async () => {
  const run = await vsp(ground, [...deployArgs(ground, ["--mode", "installer"]), "--json"], FAST);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { mode: string; pluginRef: string; changed: string[] };
  assert.equal(result.mode, "installer");
  assert.ok(result.changed.includes("installer service created"), result.changed.join("; "));
  pluginRef = result.pluginRef;
  assert.deepEqual(await vspServices(), ["vsp-helper", "vsp-installer"]);
  const installed = (await plugins()).filter((p) => p.Name === "vsp:latest");
  assert.equal(installed.length, 1);
  assert.equal(installed[0]!.Enabled, true);
  assert.equal(installed[0]!.PluginReference, pluginRef);
  assert.equal((await installReports()).length, 1);

  await deployStack(
    ground,
    "inst",
    oneSecretStack(ground, {
      replicas: 2,
      labels: { "vsp.path": "secret/inst/app", "vsp.field": "password" },
    }),
  );
  const tasks = await waitRunning(ground, "inst_app", 2);
  assert.deepEqual(await readSecretInTasks(ground, tasks, "db"), [pw, pw]);
});

test("again in auto mode: the deployed mode is kept and nothing changes", async () => {
  const run = await vsp(ground, [...deployArgs(ground), "--json"], FAST);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { mode: string; changed: string[] };
  assert.equal(result.mode, "installer");
  assert.deepEqual(result.changed, []);
});

test("vsp status: healthy, one row per manager from the installer's report", async () => {
  const run = await vsp(ground, ["status", "--json"]);
  const report = JSON.parse(run.stdout) as {
    healthy: boolean;
    problems: string[];
    plugin: { mode: string; service: boolean; ref: string; nodes: { taskState: string }[] };
  };
  assert.equal(report.healthy, true, report.problems.join("; "));
  assert.equal(report.plugin.mode, "installer");
  assert.equal(report.plugin.ref, pluginRef);
  assert.deepEqual(
    report.plugin.nodes.map((n) => n.taskState),
    ["running"],
  );
  const human = await vsp(ground, ["status"]);
  assert.match(human.stdout, /installer service/);
});

test("a plugin disabled by hand is enabled again by the installer", async () => {
  await ground.docker.getPlugin("vsp:latest", "").disable({ force: true } as never);
  const t0 = Date.now();
  await waitFor(
    "the installer to enable the plugin again",
    async () => ((await plugins()).find((p) => p.Name === "vsp:latest")?.Enabled ? true : undefined),
    30_000,
    200,
  );
  console.log(`installer re-enabled a disabled plugin in ${Date.now() - t0} ms`);
});

test("switching modes: service, then installer again; one plugin and one carrier service each time", async () => {
  const toService = await vsp(ground, [...deployArgs(ground, ["--mode", "service"]), "--json"], FAST);
  assert.equal(toService.code, 0, `to service: ${toService.stderr}`);
  assert.ok(JSON.parse(toService.stdout).changed.includes("installer service removed (plugin service mode)"));
  assert.deepEqual(await vspServices(), ["vsp-helper", "vsp-plugin"]);
  assert.equal((await installReports()).length, 0);
  assert.equal((await plugins()).filter((p) => p.Name === "vsp:latest" && p.Enabled).length, 1);

  const toInstaller = await vsp(ground, [...deployArgs(ground, ["--mode", "installer"]), "--json"], FAST);
  assert.equal(toInstaller.code, 0, `to installer: ${toInstaller.stderr}`);
  assert.ok(JSON.parse(toInstaller.stdout).changed.includes("plugin service removed (installer mode)"));
  assert.deepEqual(await vspServices(), ["vsp-helper", "vsp-installer"]);
  const tasks = await waitRunning(ground, "inst_app", 2);
  assert.deepEqual(await readSecretInTasks(ground, tasks, "db"), [pw, pw]);
});

test("vsp remove: the plugin comes off the node, then the installer service and its reports go", async () => {
  await removeStack(ground, "inst");
  const run = await vsp(ground, ["remove"], FAST);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(await vspServices(), []);
  assert.deepEqual(
    (await plugins()).filter((p) => p.Name.startsWith("vsp")),
    [],
  );
  assert.equal((await installReports()).length, 0);
});
