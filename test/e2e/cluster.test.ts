// vsp on a real 3-manager Swarm (the multi-manager ground, started and removed by this file):
// deploy on every manager, a stack spread over all nodes with kv, token, wrapped token and PKI
// certificate secrets, then the leader killed, a manager's link cut for 30 s, an engine
// restarted; after each fault a new leader is known, deliveries resume, the tasks on the other
// nodes keep running, and OpenBao shows at most one live credential per (task, secret), each
// minted once (audit log), however often the new leaders asked again. Ends with the stack's
// credentials revoked within 30 s of its removal, vsp remove, and a teardown that leaves
// nothing behind. Prints "cluster: ..." timing lines.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type Cluster, type ClusterNode, startCluster, stopCluster } from "../ground/cluster.js";
import { waitFor } from "../ground/process.js";
import { vsp } from "../helpers/cli.js";
import {
  clusterDeployArgs,
  countByNode,
  type NodeTask,
  readSecretOn,
  removeStackOnCluster,
  runningTasksByNode,
  vspObjectsOn,
  waitRunningOnCluster,
} from "../helpers/cluster.js";
import { deployStack, HOST_NETWORK } from "../helpers/swarm.js";
import {
  bao,
  issuedFromAudit,
  kvPut,
  leasesUnder,
  liveTokens,
  must,
  taskTokensByTask,
  writePolicy,
} from "../helpers/vault.js";

const STACK = "cl";
const APP = `${STACK}_app`;
const PROBE = `${STACK}_probe`;
const REPLICAS = 6;
const CUT_MS = 30_000;
const pw = `pw-${randomBytes(10).toString("hex")}`;
const times: Record<string, number> = {};
let cluster: Cluster | undefined;
let stopped = false;
let probeReplicas = 0;

const say = (m: string) => console.log(`cluster: ${m}`);
const c = () => cluster!;
const ms = (n: number) => `${(n / 1000).toFixed(1)} s`;

function service(name: string, replicas: number): string {
  return `  ${name}:
    image: ${c().baseImage}
    command: ["/bin/sleep", "100000"]
    stop_grace_period: 1s
    networks: [hostnet]
    deploy: { replicas: ${replicas} }
    secrets:
      - { source: db, target: db_password }
      - { source: tok, target: vault_token }
      - { source: tokw, target: vault_wrapped }
      - { source: cert, target: tls_cert }
`;
}

const CREDENTIALS = ["tok", "tokw", "cert"].map((s) => `${STACK}_${s}`);

/** "already-issued" answers in the plugin logs of every node: Swarm's repeats that vsp refused. */
function refusedRepeats(): number {
  let n = 0;
  for (const node of c().nodes) {
    const file = path.join(node.dir, "dockerd.log");
    if (fs.existsSync(file)) n += fs.readFileSync(file, "utf8").split("already-issued").length - 1;
  }
  return n;
}

/**
 * OpenBao's side: at most one live task token per (task, secret), none for kv (spent by the
 * read), and every credential minted exactly once per task (audit log), one certificate each.
 */
async function assertOneCredentialEach(when: string): Promise<void> {
  const g = c().ground();
  // Tasks that ended (also those of a node that died with the leader) lose their credentials
  // within 30 s: afterwards every live task token belongs to a running task.
  const t0 = Date.now();
  const live = await waitFor(
    `${when}: live task tokens only for running tasks`,
    async () => {
      const running = new Set(
        [...(await runningTasksByNode(c(), APP)), ...(await runningTasksByNode(c(), PROBE))].map(
          (t) => t.taskId,
        ),
      );
      const tokens = await taskTokensByTask(g, [APP, PROBE]);
      return [...tokens.keys()].every((k) => running.has(k.split("/")[0]!)) ? tokens : undefined;
    },
    30_000,
    1000,
  );
  const settleMs = Date.now() - t0;
  for (const [key, list] of live)
    assert.equal(list.length, 1, `${when}: ${key} has ${list.length} live tokens`);
  assert.deepEqual(
    [...live.keys()].filter((k) => k.endsWith(`/${STACK}_db`)),
    [],
    `${when}: kv task tokens left alive`,
  );
  const { mints, certs } = issuedFromAudit(g.state.bao.auditLog, "vsp-task", "pki/issue/web");
  const credentialMints = [...mints].filter(([k]) => CREDENTIALS.some((s) => k.endsWith(`/${s}`)));
  for (const [key, n] of credentialMints) assert.equal(n, 1, `${when}: ${key} was minted ${n} times`);
  for (const [cn, n] of certs) assert.equal(n, 1, `${when}: ${n} certificates for ${cn}`);
  const leases = await leasesUnder(g, "pki/issue/web/");
  const running = (await runningTasksByNode(c(), APP)).length + (await runningTasksByNode(c(), PROBE)).length;
  assert.ok(
    leases.length >= running,
    `${when}: ${leases.length} certificate leases for ${running} running tasks`,
  );
  say(
    `${when}: ${live.size} live task tokens, all of running tasks (${ms(settleMs)} to settle), max 1 per task and secret, ${credentialMints.length} credentials minted once each, ` +
      `${certs.size} certificates, ${leases.length} certificate leases for ${running} running tasks; ${refusedRepeats()} repeats refused as already issued so far`,
  );
}

/** Running tasks of the app that were on other nodes than `node` before a fault, and are still. */
async function assertOthersKept(before: NodeTask[], node: ClusterNode): Promise<number> {
  const now = new Map((await runningTasksByNode(c(), APP)).map((t) => [t.taskId, t]));
  const others = before.filter((t) => t.node?.name !== node.name);
  for (const t of others) {
    const still = now.get(t.taskId);
    assert.ok(still, `task ${t.taskId} on ${t.node?.name} still runs after the fault on ${node.name}`);
    assert.equal(still.node?.name, t.node?.name);
    assert.equal(still.containerId, t.containerId, "same container");
  }
  return others.length;
}

/**
 * Adds one probe task (optionally kept off `avoid`), waits for it to run and reads its kv secret:
 * proves the leader's plugin answers again. Retries the update while no leader takes it.
 */
async function newProbeTask(via: () => ClusterNode, avoid?: ClusterNode): Promise<NodeTask> {
  const oldIds = new Set((await runningTasksByNode(c(), PROBE)).map((t) => t.taskId));
  probeReplicas++;
  const args = ["service", "update", "--detach", "--replicas", String(probeReplicas)];
  if (avoid) args.push("--constraint-add", `node.hostname!=${avoid.hostname}`);
  await waitFor(
    "a manager to accept the probe update",
    async () => {
      await c()
        .ground(via())
        .dockerCli([...args, PROBE]);
      return true;
    },
    90_000,
    500,
  );
  const fresh = await waitFor(
    "a new probe task running",
    async () => (await runningTasksByNode(c(), PROBE)).find((t) => !oldIds.has(t.taskId)),
    120_000,
    250,
  );
  assert.equal(await readSecretOn(c(), fresh, "db_password"), pw, "the new task got the kv value");
  return fresh;
}

/**
 * `vsp status --json` (asked of a reachable node) healthy: plugin task running on every manager,
 * helper running, bootstrap token valid. Returns the ms it took from `since`.
 */
async function waitHealthy(since: number, timeoutMs = 120_000): Promise<number> {
  let last = "";
  await waitFor(
    "vsp status to be healthy",
    async () => {
      const run = await vsp(c().ground(other()), ["status", "--json"], {}, 30_000);
      last = run.stdout || run.stderr;
      const report = JSON.parse(run.stdout) as { healthy: boolean; plugin: { nodes: unknown[] } };
      return report.healthy && report.plugin.nodes.length === c().nodes.length ? true : undefined;
    },
    timeoutMs,
    1000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last status: ${last.slice(0, 600)}`);
  });
  return Date.now() - since;
}

/** A reachable node other than those given (to talk to while they are faulted). */
function other(...not: ClusterNode[]): ClusterNode {
  const n = c()
    .reachable()
    .find((x) => !not.some((y) => y.name === x.name));
  if (!n) throw new Error("no other reachable node");
  return n;
}

before(async () => {
  const t = Date.now();
  cluster = await startCluster({ managers: 3 });
  times.clusterStart = Date.now() - t;
  say(`started in ${ms(times.clusterStart)} (${cluster.nodes.map((n) => `${n.name}=${n.ip}`).join(", ")})`);
  const g = cluster.ground();
  await kvPut(g, "cl/db", { password: pw });
  await must(g, "POST", "sys/mounts/pki", { type: "pki", config: { max_lease_ttl: "24h" } });
  await must(g, "POST", "pki/root/generate/internal", { common_name: "cl.test", ttl: "24h" });
  // generate_lease: each certificate has a lease, owned by the task token that issued it.
  await must(g, "POST", "pki/roles/web", { allow_any_name: true, ttl: "1h", generate_lease: true });
  const policy =
    'path "secret/data/cl/*" { capabilities = ["read"] }\npath "pki/issue/web" { capabilities = ["update"] }';
  await writePolicy(g, `swarm-${APP}`, policy);
  await writePolicy(g, `swarm-${PROBE}`, policy);
});

after(async () => {
  if (cluster && !stopped) await stopCluster(cluster);
  say(`times (ms) ${JSON.stringify(times)}`);
});

describe("vsp on 3 Swarm managers", { timeout: 600_000 }, () => {
  it("vsp deploy: plugin enabled and helper running on every manager; status lists every node", async () => {
    const run = await vsp(c().ground(), [...clusterDeployArgs(c()), "--json"]);
    times.deploy = run.ms;
    assert.equal(run.code, 0, run.stderr);
    say(`vsp deploy in ${ms(run.ms)}`);
    for (const n of c().nodes) {
      const plugins = (await c().docker(n).listPlugins({})) as unknown as {
        Name: string;
        Enabled: boolean;
      }[];
      assert.ok(
        plugins.some((p) => p.Name === "vsp:latest" && p.Enabled),
        `plugin enabled on ${n.name}`,
      );
    }
    const helpers = await waitRunningOnCluster(c(), "vsp-helper", c().nodes.length, 60_000);
    assert.deepEqual(
      Object.keys(countByNode(helpers)).sort(),
      c().nodes.map((n) => n.name),
    );
    const status = await vsp(c().ground(c().nodes[1]), ["status", "--json"]);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    const report = JSON.parse(status.stdout) as {
      healthy: boolean;
      plugin: { nodes: { hostname: string; taskState: string }[] };
      helper: { tasks: { node: string; state: string }[] };
    };
    assert.equal(report.healthy, true);
    assert.deepEqual(
      report.plugin.nodes.map((n) => n.hostname).sort(),
      c().nodes.map((n) => n.hostname),
    );
    assert.ok(report.plugin.nodes.every((n) => n.taskState === "running"));
    assert.equal(report.helper.tasks.filter((t) => t.state === "running").length, c().nodes.length);
  });

  it("a stack's tasks spread over all nodes, each with the kv value and its own token", async () => {
    const t = Date.now();
    await deployStack(
      c().ground(),
      STACK,
      `version: "3.8"
services:
${service("app", REPLICAS)}${service("probe", 0)}secrets:
  db:
    driver: vsp
    labels: { vsp.path: secret/cl/db, vsp.field: password }
  tok:
    driver: vsp
    labels: { vsp.type: token }
  tokw:
    driver: vsp
    labels: { vsp.type: token, vsp.wrap: "true" }
  cert:
    driver: vsp
    labels: { vsp.type: write, vsp.path: pki/issue/web, vsp.data.common_name: "{task_id}.cl.test", vsp.field: certificate }
${HOST_NETWORK}`,
    );
    const tasks = await waitRunningOnCluster(c(), APP, REPLICAS);
    times.stackRunning = Date.now() - t;
    const spread = countByNode(tasks);
    say(`${REPLICAS} tasks running in ${ms(times.stackRunning)}, per node ${JSON.stringify(spread)}`);
    assert.deepEqual(
      Object.keys(spread).sort(),
      c().nodes.map((n) => n.name),
    );
    const values = await Promise.all(tasks.map((task) => readSecretOn(c(), task, "db_password")));
    assert.deepEqual(
      values,
      tasks.map(() => pw),
    );
    const tokens = await Promise.all(tasks.map((task) => readSecretOn(c(), task, "vault_token")));
    assert.equal(new Set(tokens).size, tasks.length, "a distinct token per task");
    const look = await bao(c().ground(), "POST", "auth/token/lookup", { token: tokens[0] });
    assert.equal(look.status, 200);
    assert.ok((look.json.data as { policies: string[] }).policies.includes(`swarm-${APP}`));
    await assertOneCredentialEach("after deploy");
  });

  it("leader SIGKILL: a new leader, deliveries resume, tasks on the other nodes keep running", async () => {
    const before = await runningTasksByNode(c(), APP);
    const leader = await c().leader();
    const onKilled = before.filter((t) => t.node?.name === leader.name).length;
    const t0 = Date.now();
    await c().killEngine(leader);
    const newLeader = await c().waitLeader(leader, 90_000);
    times.electionAfterKill = Date.now() - t0;
    const probe = await newProbeTask(() => other(leader), leader);
    times.deliveryAfterKill = Date.now() - t0;
    say(
      `killed leader ${leader.name}: new leader ${newLeader.name} after ${ms(times.electionAfterKill)}, ` +
        `a new task (on ${probe.node?.name}) had its secret after ${ms(times.deliveryAfterKill)}`,
    );
    const kept = await assertOthersKept(before, leader);
    // Swarm replaces the tasks of a node it marks down: each replacement needs its secrets from
    // the new leader's plugin too.
    const beforeIds = new Set(before.map((t) => t.taskId));
    const replaced = await waitFor(
      `the ${onKilled} task(s) of ${leader.name} to be replaced`,
      async () => {
        const fresh = (await runningTasksByNode(c(), APP)).filter(
          (t) => !beforeIds.has(t.taskId) && t.node?.name !== leader.name,
        );
        return fresh.length >= onKilled ? fresh : undefined;
      },
      60_000,
      500,
    ).catch(() => [] as NodeTask[]);
    times.replacedAfterKill = replaced.length ? Date.now() - t0 : -1;
    for (const t of replaced) assert.equal(await readSecretOn(c(), t, "db_password"), pw);
    say(
      `${kept} tasks on the survivors kept running; ${onKilled} were on ${leader.name}: ` +
        (replaced.length
          ? `replaced on ${JSON.stringify(countByNode(replaced))} with their secrets ${ms(times.replacedAfterKill)} after the kill`
          : "not replaced within 60 s"),
    );
    const t1 = Date.now();
    await c().startEngine(leader);
    await c().waitQuorum();
    times.rejoinAfterRestart = Date.now() - t1;
    times.healthyAfterRestart = await waitHealthy(t1);
    say(
      `${leader.name} restarted: quorum whole after ${ms(times.rejoinAfterRestart)}, ` +
        `vsp status healthy after ${ms(times.healthyAfterRestart)}`,
    );
    await waitRunningOnCluster(c(), APP, REPLICAS, 120_000);
    await assertOneCredentialEach("after the leader kill");
  });

  it("a manager's link cut for 30 s: the cluster recovers, tasks on the other nodes keep running", async () => {
    const leader = await c().leader();
    const victim = c().nodes.find((n) => n.name !== leader.name)!;
    const before = await runningTasksByNode(c(), APP);
    await c().cutLink(victim);
    const t0 = Date.now();
    let seenDown = -1;
    while (Date.now() - t0 < CUT_MS) {
      await new Promise((r) => setTimeout(r, 1000));
      if (seenDown < 0) {
        const view = (await c()
          .swarmNodes()
          .catch(() => [])) as Awaited<ReturnType<Cluster["swarmNodes"]>>;
        const v = view.find((x) => c().nodeOf(x)?.name === victim.name);
        if (v && (v.Status.State === "down" || v.ManagerStatus?.Reachability === "unreachable"))
          seenDown = Date.now() - t0;
      }
    }
    const beforeIds = new Set(before.map((t) => t.taskId));
    const replacedDuring = (await runningTasksByNode(c(), APP).catch(() => [] as NodeTask[])).filter(
      (t) => !beforeIds.has(t.taskId),
    ).length;
    const leaderDuring = await c()
      .leader()
      .then((l) => l.name)
      .catch(() => "none");
    await c().restoreLink(victim);
    const t1 = Date.now();
    // Raft's connections back off while the link is down: 25-75 s to a whole quorum was seen.
    await c().waitQuorum(180_000);
    times.quorumAfterLinkRestore = Date.now() - t1;
    const probe = await newProbeTask(() => other());
    times.deliveryAfterLinkRestore = Date.now() - t1;
    const leaderAfter = (await c().leader()).name;
    say(
      `cut ${victim.name} (leader ${leader.name}) for ${ms(CUT_MS)}: seen unreachable after ${
        seenDown < 0 ? "never" : ms(seenDown)
      }, ${replacedDuring} task(s) replaced during the cut, leader during ${leaderDuring}, after ${leaderAfter}; ` +
        `quorum ${ms(times.quorumAfterLinkRestore)} ` +
        `and a new task (on ${probe.node?.name}) served ${ms(times.deliveryAfterLinkRestore)} after the restore`,
    );
    await assertOthersKept(before, victim);
    times.healthyAfterLinkRestore = await waitHealthy(t1);
    say(`vsp status healthy ${ms(times.healthyAfterLinkRestore)} after the restore`);
    await waitRunningOnCluster(c(), APP, REPLICAS, 120_000);
    await assertOneCredentialEach("after the link cut");
  });

  it("a graceful engine restart of one node: the cluster recovers", async () => {
    const leader = await c().leader();
    const before = await runningTasksByNode(c(), APP);
    const t0 = Date.now();
    await c().restartEngine(leader);
    const restarted = Date.now() - t0;
    await c().waitQuorum();
    times.quorumAfterRestart = Date.now() - t0;
    const probe = await newProbeTask(() => other());
    times.deliveryAfterRestart = Date.now() - t0;
    say(
      `restarted ${leader.name} (the leader) in ${ms(restarted)}: quorum after ${ms(times.quorumAfterRestart)}, ` +
        `new leader ${(await c().leader()).name}, a new task (on ${probe.node?.name}) served after ${ms(times.deliveryAfterRestart)}`,
    );
    await assertOthersKept(before, leader);
    times.healthyAfterGracefulRestart = await waitHealthy(t0);
    say(`vsp status healthy ${ms(times.healthyAfterGracefulRestart)} after the restart began`);
    await waitRunningOnCluster(c(), APP, REPLICAS, 120_000);
    await assertOneCredentialEach("after the engine restart");
  });

  it("bootstrap-token rotate while a service scales: new tasks get their secrets, one credential each", async () => {
    const before = (await runningTasksByNode(c(), PROBE)).length;
    probeReplicas = before + 3;
    const g = c().ground(other());
    const [rotate] = await Promise.all([
      vsp(g, ["bootstrap-token", "rotate", "--grace", "5s", "--json"]),
      g.dockerCli(["service", "scale", "--detach", `${PROBE}=${probeReplicas}`]),
    ]);
    assert.equal(rotate.code, 0, rotate.stderr);
    const tasks = await waitRunningOnCluster(c(), PROBE, probeReplicas, 120_000);
    for (const t of tasks) assert.equal(await readSecretOn(c(), t, "db_password"), pw);
    times.rotate = rotate.ms;
    say(
      `rotate took ${ms(rotate.ms)} while ${PROBE} scaled ${before} → ${probeReplicas}; every probe task has its secret`,
    );
    await assertOneCredentialEach("after rotate under scaling");
  });

  it("an on-change rollover started under one leader is finished under the next", async () => {
    const g = c().ground();
    await writePolicy(g, "swarm-clr_roll", 'path "secret/data/cl/roll" { capabilities = ["read"] }');
    await kvPut(g, "cl/roll", { value: "one" });
    await deployStack(
      g,
      "clr",
      `version: "3.8"
services:
  roll:
    image: ${c().baseImage}
    command: ["/bin/sleep", "100000"]
    stop_grace_period: 1s
    networks: [hostnet]
    deploy:
      replicas: 3
      labels: { "vsp.refresh": "on-change" }
      update_config: { parallelism: 1, delay: 8s, order: start-first }
    secrets: [val]
secrets:
  val:
    driver: vsp
    labels: { vsp.path: secret/cl/roll, vsp.field: value }
${HOST_NETWORK}`,
    );
    const first = await waitRunningOnCluster(c(), "clr_roll", 3);
    const state = async () => {
      const st = JSON.parse((await vsp(c().ground(other()), ["status", "--json"])).stdout) as {
        refresh: { service: string; outcome?: string; lastRollout?: string }[];
      };
      return st.refresh.find((r) => r.service === "clr_roll");
    };
    await waitFor(
      "the KV version recorded",
      async () => {
        const configs = (await c()
          .docker(other())
          .listConfigs({
            filters: JSON.stringify({ label: ["com.vsp.service=clr_roll"] }),
          } as never)) as unknown as {
          Spec: { Labels: Record<string, string> };
        }[];
        return (
          (configs[0]?.Spec.Labels["com.vsp.refresh-kv-versions"] ?? "").includes("cl/roll") || undefined
        );
      },
      90_000,
      1000,
    );
    await kvPut(g, "cl/roll", { value: "two" });
    const t0 = Date.now();
    await waitFor(
      "the rollout to start",
      async () => ((await state())?.outcome === "rolling" ? true : undefined),
      90_000,
      1000,
    );
    times.rolloverStart = Date.now() - t0;
    const leader = await c().leader();
    await c().restartEngine(leader);
    await c().waitQuorum();
    const newLeader = await c().leader();
    const done = await waitFor(
      "the rollout to complete",
      async () => {
        const s = await state();
        return s?.outcome === "completed" || s?.outcome === "failed" ? s : undefined;
      },
      240_000,
      2000,
    );
    times.rolloverDone = Date.now() - t0;
    assert.equal(done.outcome, "completed");
    const rolled = await waitRunningOnCluster(c(), "clr_roll", 3);
    assert.ok(
      rolled.every((t) => !first.some((f) => f.taskId === t.taskId)),
      "every task replaced",
    );
    for (const t of rolled) assert.equal(await readSecretOn(c(), t, "val"), "two");
    const names = (
      (await c().docker(other()).listSecrets({})) as unknown as { Spec: { Name: string } }[]
    ).map((x) => x.Spec.Name);
    assert.ok(names.includes("clr_val.v2") && !names.includes("clr_val"), "the old version is gone");
    say(
      `on-change rollover: started ${ms(times.rolloverStart)} after the KV write; leader ${leader.name} restarted mid-rollout, ` +
        `leader now ${newLeader.name}; completed ${ms(times.rolloverDone)} after the write`,
    );
    await removeStackOnCluster(c(), "clr");
  });

  it("docker stack rm: the stack's task tokens and certificate leases are revoked within 30 s", async () => {
    const g = c().ground();
    await c().ground(other()).dockerCli(["stack", "rm", STACK]);
    const t0 = Date.now();
    await waitFor(
      "0 live task tokens and 0 leases of the stack",
      async () => {
        const live = await liveTokens(g, (t) => (t.meta.service ?? "").startsWith(`${STACK}_`));
        return live.length === 0 && (await leasesUnder(g, "pki/issue/web/")).length === 0 ? true : undefined;
      },
      30_000,
      500,
    );
    times.revokedAfterStackRm = Date.now() - t0;
    const status = JSON.parse((await vsp(g, ["status", "--json"])).stdout) as {
      credentials: { revokedLastHour: number; notRevoked: unknown[] };
    };
    say(
      `stack rm: every task credential revoked in ${ms(times.revokedAfterStackRm)}; vsp status: ${JSON.stringify(status.credentials)}`,
    );
    assert.deepEqual(status.credentials.notRevoked, []);
  });

  it("vsp remove: no plugin, no vsp service, no vsp secret on any node", async () => {
    await removeStackOnCluster(c(), STACK);
    const run = await vsp(c().ground(), ["remove", "--purge-vault"]);
    assert.equal(run.code, 0, run.stderr);
    for (const n of c().nodes) {
      const left = await waitFor(
        `vsp objects to leave ${n.name}`,
        async () => {
          const o = await vspObjectsOn(c(), n);
          return o.plugins.length + o.services.length + o.secrets.length === 0 ? o : undefined;
        },
        60_000,
        500,
      ).catch(async () => vspObjectsOn(c(), n));
      assert.deepEqual(left, { plugins: [], services: [], secrets: [] }, `nothing of vsp on ${n.name}`);
    }
  });

  it("teardown leaves no namespace, link, mount, process or path", async () => {
    const t = Date.now();
    const left = await stopCluster(c());
    stopped = true;
    times.teardown = Date.now() - t;
    assert.deepEqual(left, { processes: [], mounts: [], paths: [], namespaces: [], links: [], rules: [] });
  });
});
