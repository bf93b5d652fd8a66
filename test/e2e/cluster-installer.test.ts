// Installer mode on 3 managers WITHOUT experimental features (the multi-manager ground, started
// and removed by this file): `vsp deploy` in auto mode picks the installer, which installs and
// enables the plugin on every manager; a stack over all nodes gets kv and token values; rotation
// works; a 4th manager joining later gets the plugin; a new tag reaches every manager; vsp remove
// leaves nothing on any node. Prints "installer: ..." timing lines.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type Cluster, type ClusterNode, startCluster, stopCluster } from "../ground/cluster.js";
import { waitFor } from "../ground/process.js";
import { vsp } from "../helpers/cli.js";
import {
  clusterDeployArgs,
  readSecretOn,
  removeStackOnCluster,
  runningTasksByNode,
  serviceTasksByNode,
  vspObjectsOn,
  waitRunningOnCluster,
} from "../helpers/cluster.js";
import { deployStack, HOST_NETWORK } from "../helpers/swarm.js";
import { kvPut, liveTokens, writePolicy } from "../helpers/vault.js";

const STACK = "ci";
const APP = `${STACK}_app`;
const pw = `pw-${randomBytes(10).toString("hex")}`;
const times: Record<string, number> = {};
const FAST = { VSP_INSTALL_INTERVAL_MS: "2000" };
let cluster: Cluster | undefined;
let stopped = false;
const c = () => cluster!;
const say = (m: string) => console.log(`installer: ${m}`);
const ms = (n: number) => `${(n / 1000).toFixed(1)} s`;

interface RawPlugin {
  Name: string;
  Enabled: boolean;
  PluginReference: string;
}

async function pluginOn(node: ClusterNode): Promise<RawPlugin | undefined> {
  const list = (await c().docker(node).listPlugins({})) as unknown as RawPlugin[];
  return list.find((p) => p.Name === "vsp:latest");
}

/** Until every node of the cluster has the plugin enabled from `ref`; the ms it took. */
async function everyNodeHas(ref: string, since: number, timeoutMs = 120_000): Promise<number> {
  await waitFor(
    `plugin ${ref} enabled on every manager`,
    async () => {
      for (const n of c().nodes) {
        const p = await pluginOn(n);
        if (!p?.Enabled || p.PluginReference !== ref) return undefined;
      }
      return true;
    },
    timeoutMs,
    250,
  );
  return Date.now() - since;
}

async function assertStackValues(replicas: number): Promise<void> {
  const tasks = await waitRunningOnCluster(c(), APP, replicas, 120_000);
  for (const t of tasks) {
    assert.equal(await readSecretOn(c(), t, "db_password"), pw, `kv value on ${t.node?.name}`);
    assert.match(
      await readSecretOn(c(), t, "vault_token"),
      /^s\.[A-Za-z0-9]{20,}$/,
      `token on ${t.node?.name}`,
    );
  }
}

before(async () => {
  const t = Date.now();
  cluster = await startCluster({ managers: 3, experimental: false });
  times.clusterStart = Date.now() - t;
  const g = cluster.ground();
  await kvPut(g, "ci/db", { password: pw });
  await writePolicy(g, `swarm-${APP}`, 'path "secret/data/ci/*" { capabilities = ["read"] }');
});

after(async () => {
  if (cluster && !stopped) await stopCluster(cluster);
  say(`times (ms) ${JSON.stringify(times)}`);
});

describe("installer mode on 3 managers without experimental features", { timeout: 600_000 }, () => {
  let firstRef = "";

  it("vsp deploy (auto): installer mode, plugin enabled on every manager, status lists each", async () => {
    const run = await vsp(c().ground(), [...clusterDeployArgs(c()), "--json"], FAST);
    times.deploy = run.ms;
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { mode: string; modeReason: string; pluginRef: string };
    assert.equal(result.mode, "installer");
    assert.match(result.modeReason, /^vc\S+-n1, vc\S+-n2, vc\S+-n3 run without experimental features$/);
    firstRef = result.pluginRef;
    await everyNodeHas(firstRef, Date.now(), 5_000);
    const status = JSON.parse((await vsp(c().ground(c().nodes[1]), ["status", "--json"])).stdout) as {
      healthy: boolean;
      problems: string[];
      plugin: { mode: string; nodes: { hostname: string; taskState: string }[] };
    };
    assert.equal(status.healthy, true, status.problems.join("; "));
    assert.equal(status.plugin.mode, "installer");
    assert.deepEqual(
      status.plugin.nodes.map((n) => n.hostname).sort(),
      c().nodes.map((n) => n.hostname),
    );
    say(`vsp deploy in ${ms(run.ms)}: plugin enabled on ${c().nodes.length} managers`);
  });

  it("a stack over every node gets its kv value and its own token", async () => {
    await deployStack(
      c().ground(),
      STACK,
      `version: "3.8"
services:
  app:
    image: ${c().baseImage}
    command: ["/bin/sleep", "100000"]
    stop_grace_period: 1s
    networks: [hostnet]
    deploy: { replicas: 3, placement: { max_replicas_per_node: 1 } }
    secrets:
      - { source: db, target: db_password }
      - { source: tok, target: vault_token }
secrets:
  db:
    driver: vsp
    labels: { vsp.path: secret/ci/db, vsp.field: password }
  tok:
    driver: vsp
    labels: { vsp.type: token }
${HOST_NETWORK}`,
    );
    await assertStackValues(3);
    const nodes = new Set((await runningTasksByNode(c(), APP)).map((t) => t.node?.name));
    assert.equal(nodes.size, 3, "one task per manager");
    const live = await liveTokens(c().ground(), (t) => t.meta.service === APP);
    assert.equal(live.length, 3, "one live token per task (the kv read spends its own)");
  });

  it("bootstrap-token rotate works the same: new tasks get their values", async () => {
    const run = await vsp(c().ground(), ["bootstrap-token", "rotate", "--grace", "2s", "--json"]);
    times.rotate = run.ms;
    assert.equal(run.code, 0, run.stderr);
    await c().ground().dockerCli(["service", "update", "--detach", "--force", APP]);
    await waitFor(
      "the app's tasks replaced after rotation",
      async () => ((await runningTasksByNode(c(), APP)).length === 3 ? true : undefined),
      120_000,
      500,
    );
    await assertStackValues(3);
    say(`rotate in ${ms(run.ms)}; replaced tasks got their values`);
  });

  it("a 4th manager joining later gets the plugin within 60 s", async () => {
    const t0 = Date.now();
    const node = await c().addManager();
    times.join = Date.now() - t0;
    const t1 = Date.now();
    await waitFor(
      `the plugin on ${node.name}`,
      async () => {
        const p = await pluginOn(node);
        return p?.Enabled && p.PluginReference === firstRef ? true : undefined;
      },
      60_000,
      250,
    ).catch(async (err: Error) => {
      const tasks = (await serviceTasksByNode(c(), "vsp-installer")).map(
        (t) => `${t.node?.name}: ${t.state} ${t.error ?? ""}`,
      );
      const logs = await c()
        .ground()
        .dockerCli(["service", "logs", "--raw", "vsp-installer"])
        .catch((e: Error) => e.message);
      throw new Error(
        `${err.message}; plugin there: ${JSON.stringify(await pluginOn(node))}; installer tasks: ${tasks.join("; ")}; logs: ${logs.slice(-1500)}`,
      );
    });
    times.pluginOnNewManager = Date.now() - t1;
    say(
      `${node.name} joined in ${ms(times.join)}; plugin enabled there ${ms(times.pluginOnNewManager)} later`,
    );
  });

  it("a new tag reaches every manager; stacks keep getting values", async () => {
    const t0 = Date.now();
    const run = await vsp(c().ground(), [...clusterDeployArgs(c(), ["--tag", "second"]), "--json"], FAST);
    assert.equal(run.code, 0, run.stderr);
    const ref = (JSON.parse(run.stdout) as { pluginRef: string }).pluginRef;
    assert.notEqual(ref, firstRef);
    times.newTag = await everyNodeHas(ref, t0, 5_000);
    await c().ground().dockerCli(["service", "update", "--detach", "--force", APP]);
    await waitFor(
      "the app's tasks replaced after the upgrade",
      async () => ((await runningTasksByNode(c(), APP)).length === 3 ? true : undefined),
      120_000,
      500,
    );
    await assertStackValues(3);
    say(`new tag on all ${c().nodes.length} managers ${ms(times.newTag)} after vsp deploy started`);
  });

  it("vsp remove: no plugin, no vsp service, no vsp secret or report on any node", async () => {
    await removeStackOnCluster(c(), STACK);
    const run = await vsp(c().ground(), ["remove", "--purge-vault"], FAST);
    assert.equal(run.code, 0, run.stderr);
    for (const n of c().nodes)
      assert.deepEqual(await vspObjectsOn(c(), n), { plugins: [], services: [], secrets: [] }, n.name);
    const reports = await c()
      .docker(c().nodes[0]!)
      .listConfigs({ filters: JSON.stringify({ label: ["com.vsp.role=install-report"] }) });
    assert.equal(reports.length, 0);
  });

  it("teardown leaves no namespace, link, mount, process or path", async () => {
    const left = await stopCluster(c());
    stopped = true;
    assert.deepEqual(left, { processes: [], mounts: [], paths: [], namespaces: [], links: [], rules: [] });
  });
});
