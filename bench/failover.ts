// Failover on 3 managers: SIGKILL the leader's engine, then measure how long until a new leader is
// known (polled every 50 ms) and until a task created after the kill has its secrets, as the new
// leader's plugin logged them (the log line's own time, so no polling error). A new service (kv +
// token secret, kept off the dead node) is created from the moment of the kill, through the API
// of a surviving manager, retried until a leader accepts it. Rounds alternate between Swarm's
// default dispatcher heartbeat (5 s) and 1 s, to show how much of the gap is Swarm's reconnection.
import { randomBytes } from "node:crypto";
import type Docker from "dockerode";
import { type Cluster, type ClusterNode, startCluster, stopCluster } from "../test/ground/cluster.js";
import { waitFor } from "../test/ground/process.js";
import { vsp } from "../test/helpers/cli.js";
import { clusterDeployArgs } from "../test/helpers/cluster.js";
import { deployStack, HOST_NETWORK, pluginLog, sleeper } from "../test/helpers/swarm.js";
import { kvPut, writePolicy } from "../test/helpers/vault.js";
import { median } from "./stats.js";

export interface FailoverRound {
  /** Swarm's dispatcher heartbeat during the round (the default is 5 s). */
  heartbeatS: number;
  killed: string;
  newLeader: string;
  /** Kill → a surviving manager names a new leader. */
  electionMs: number;
  /** Kill → the new service was accepted by a manager. */
  acceptedMs: number;
  /** Kill → the new task's last secret served (plugin log time). */
  deliveryMs: number;
  /** deliveryMs − electionMs; the goal is at most 2 s. */
  gapMs: number;
  /** vsp's own share: the plugin's time for the task's slowest secret (the `ms` of its log line). */
  pluginMs: number;
}

export interface Failover {
  engine: string;
  clusterStartMs: number;
  deployMs: number;
  rounds: FailoverRound[];
  /** Per heartbeat setting, the default's first. */
  byHeartbeat: HeartbeatFigures[];
}

export interface HeartbeatFigures {
  heartbeatS: number;
  electionMedianMs: number;
  deliveryMedianMs: number;
  gapMedianMs: number;
  gapMaxMs: number;
}

/** Rounds alternate between Swarm's default dispatcher heartbeat and a short one, side by side. */
export const HEARTBEATS_S = [5, 1] as const;

/** Sets how often agents report to the dispatcher (`docker swarm update --dispatcher-heartbeat`). */
async function setHeartbeat(cluster: Cluster, seconds: number): Promise<void> {
  const d = cluster.docker(await cluster.leader()) as Docker;
  const swarm = (await d.swarmInspect()) as {
    Version: { Index: number };
    Spec: { Dispatcher?: Record<string, unknown> } & Record<string, unknown>;
  };
  await d.swarmUpdate({
    _query: { version: swarm.Version.Index },
    _body: { ...swarm.Spec, Dispatcher: { ...swarm.Spec.Dispatcher, HeartbeatPeriod: seconds * 1e9 } },
  });
}

const STACK = "fo";
const SECRETS = ["db", "tok"] as const;

/** The service the round creates: the stack's two secrets, host network, never on `avoid`. */
function roundSpec(round: number, image: string, ids: Record<string, string>, avoid: ClusterNode) {
  return {
    Name: `${STACK}_r${round}`,
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Command: ["/bin/sleep", "100000"],
        StopGracePeriod: 1_000_000_000,
        Secrets: SECRETS.map((s) => ({
          SecretID: ids[s]!,
          SecretName: `${STACK}_${s}`,
          File: { Name: s, UID: "0", GID: "0", Mode: 0o400 },
        })),
      },
      // By name: each node's host network has its own ID, and the manager taking it resolves it.
      Networks: [{ Target: "host" }],
      Placement: { Constraints: [`node.hostname!=${avoid.hostname}`] },
    },
    Mode: { Replicated: { Replicas: 1 } },
  };
}

/**
 * When the plugin on any surviving node logged the last secret of `service`'s task as served,
 * and the longest its own work on one of them took.
 */
function servedAt(cluster: Cluster, service: string): { at: number; pluginMs: number } | undefined {
  const served = new Map<string, { at: number; ms: number }>();
  for (const n of cluster.reachable())
    for (const line of pluginLog(cluster.ground(n)))
      if (line.msg === "GetSecret" && line.service === service && line.outcome === "ok")
        served.set(String(line.secret), { at: Date.parse(String(line.time)), ms: Number(line.ms) });
  if (served.size < SECRETS.length) return undefined;
  const all = [...served.values()];
  return { at: Math.max(...all.map((x) => x.at)), pluginMs: Math.max(...all.map((x) => x.ms)) };
}

async function oneRound(
  cluster: Cluster,
  round: number,
  ids: Record<string, string>,
  heartbeatS: number,
): Promise<FailoverRound> {
  await setHeartbeat(cluster, heartbeatS);
  const leader = await cluster.leader();
  const survivors = cluster.reachable().filter((n) => n !== leader);
  const t0 = Date.now();
  await cluster.killEngine(leader);
  const elected = waitFor(
    "a new leader",
    async () => {
      const l = await cluster.leader();
      return l.name === leader.name ? undefined : { node: l, ms: Date.now() - t0 };
    },
    90_000,
    50,
  );
  const accepted = waitFor(
    "a manager to accept the new service",
    async () => {
      let last: unknown;
      for (const n of survivors) {
        try {
          await (cluster.docker(n) as Docker).createService(roundSpec(round, cluster.baseImage, ids, leader));
          return Date.now() - t0;
        } catch (err) {
          // A name conflict: an earlier try went through after all.
          if (/already exists|name conflicts/i.test((err as Error).message)) return Date.now() - t0;
          last = err;
        }
      }
      throw last;
    },
    90_000,
    50,
  );
  const [election, acceptedMs] = await Promise.all([elected, accepted]);
  const served = await waitFor(
    "the new task's secrets served",
    async () => servedAt(cluster, `${STACK}_r${round}`),
    90_000,
    250,
  );
  await cluster.startEngine(leader);
  await cluster.waitQuorum();
  const deliveryMs = served.at - t0;
  return {
    heartbeatS,
    killed: leader.name,
    newLeader: election.node.name,
    electionMs: election.ms,
    acceptedMs,
    deliveryMs,
    gapMs: deliveryMs - election.ms,
    pluginMs: served.pluginMs,
  };
}

export async function measureFailover(o: { rounds: number; log: (m: string) => void }): Promise<Failover> {
  const t = Date.now();
  const cluster = await startCluster({ managers: 3 });
  try {
    const clusterStartMs = Date.now() - t;
    const g = cluster.ground();
    await kvPut(g, `${STACK}/db`, { password: `pw-${randomBytes(8).toString("hex")}` });
    for (let r = 0; r < o.rounds; r++)
      await writePolicy(
        g,
        `swarm-${STACK}_r${r}`,
        `path "secret/data/${STACK}/*" { capabilities = ["read"] }`,
      );
    await writePolicy(g, `swarm-${STACK}_app`, `path "secret/data/${STACK}/*" { capabilities = ["read"] }`);
    const run = await vsp(g, [...clusterDeployArgs(cluster), "--json"]);
    if (run.code !== 0) throw new Error(`vsp deploy on the cluster failed: ${run.stderr.slice(-300)}`);
    o.log(
      `  3 managers up in ${(clusterStartMs / 1000).toFixed(1)} s, vsp deploy ${(run.ms / 1000).toFixed(1)} s`,
    );
    // The stack creates the secrets the rounds' services use.
    await deployStack(
      g,
      STACK,
      `version: "3.8"
services:
${sleeper(g, "app", 1, "[db, tok]")}secrets:
  db: { driver: vsp, labels: { vsp.path: secret/${STACK}/db, vsp.field: password } }
  tok: { driver: vsp, labels: { vsp.type: token, vsp.ttl: 10m } }
${HOST_NETWORK}`,
    );
    await waitFor("the stack's task served", async () => servedAt(cluster, `${STACK}_app`), 120_000, 500);
    const d0 = cluster.docker(cluster.reachable()[0]!);
    const secrets = (await d0.listSecrets()) as unknown as { ID: string; Spec: { Name: string } }[];
    const ids = Object.fromEntries(
      SECRETS.map((s) => [s, secrets.find((x) => x.Spec.Name === `${STACK}_${s}`)?.ID ?? ""]),
    );
    if (Object.values(ids).some((id) => !id)) throw new Error("the stack's secrets are missing");
    const rounds: FailoverRound[] = [];
    for (let r = 0; r < o.rounds; r++) {
      const round = await oneRound(cluster, r, ids, HEARTBEATS_S[r % HEARTBEATS_S.length]!);
      rounds.push(round);
      o.log(
        `  round ${r + 1} (heartbeat ${round.heartbeatS} s): killed ${round.killed}; leader ${round.newLeader} after ${round.electionMs} ms, ` +
          `service accepted ${round.acceptedMs} ms, secrets served ${round.deliveryMs} ms (+${round.gapMs} ms; the plugin's own time ${round.pluginMs} ms)`,
      );
    }
    return {
      engine: cluster.state.engineVersion ?? cluster.state.engine.name,
      clusterStartMs,
      deployMs: run.ms,
      rounds,
      byHeartbeat: HEARTBEATS_S.map((heartbeatS) => {
        const of = rounds.filter((r) => r.heartbeatS === heartbeatS);
        return {
          heartbeatS,
          electionMedianMs: median(of.map((r) => r.electionMs)),
          deliveryMedianMs: median(of.map((r) => r.deliveryMs)),
          gapMedianMs: median(of.map((r) => r.gapMs)),
          gapMaxMs: Math.max(...of.map((r) => r.gapMs)),
        };
      }).filter((h) => Number.isFinite(h.gapMaxMs)),
    };
  } finally {
    await stopCluster(cluster);
  }
}
