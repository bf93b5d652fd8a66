// vsp refresh: new versions of the services' vsp secrets, rolled out by Swarm under each
// service's update_config; old versions removed once no task uses them.

import { poll } from "../../common/poll.js";
import {
  RolloutError,
  type RolloutProgress,
  type RolloutSwarm,
  removeOldVersions,
  rolloutProgress,
  type StartedRefresh,
  startRefresh,
} from "../../common/rollout.js";
import type { Engine } from "../docker/engine.js";
import { listAllServices, rolloutSwarm } from "../docker/services.js";
import { describe, VspError } from "../errors.js";
import type { Reporter, Step } from "./report.js";

export interface RefreshOptions {
  /** Deployment name: the driver of the secrets to refresh. */
  name: string;
  services: string[];
  stack?: string;
  secrets?: string[];
  timeoutMs: number;
  pollMs?: number;
}

export interface RefreshOutcome {
  service: string;
  outcome: "completed" | "failed";
  reason?: string;
  swaps: { from: string; to: string; target: string }[];
  /** Old versions still referenced (by another service, or a task not yet stopped): kept. */
  keptOld: string[];
  ms: number;
}

async function stackServices(engine: Engine, stack: string): Promise<string[]> {
  const all = await listAllServices(engine);
  return all
    .filter((s) => s.spec.Labels?.["com.docker.stack.namespace"] === stack)
    .map((s) => s.name)
    .sort();
}

export async function refresh(
  engine: Engine,
  o: RefreshOptions,
  r: Reporter,
): Promise<{ ok: boolean; services: RefreshOutcome[] }> {
  const swarm = rolloutSwarm(engine);
  const names = [...o.services, ...(o.stack ? await stackServices(engine, o.stack) : [])];
  if (names.length === 0)
    throw new VspError(
      o.stack ? `stack ${o.stack} has no services` : "no service given",
      "name services (vsp refresh SERVICE…) or a stack (--stack NAME)",
    );
  const started: { start: number; run?: StartedRefresh; step: Step; outcome?: RefreshOutcome }[] = [];
  for (const name of names) {
    const step = r.step(`refreshing ${name}`);
    const entry: (typeof started)[number] = { start: Date.now(), step };
    started.push(entry);
    try {
      entry.run = await startRefresh(swarm, name, o.name, o.secrets);
      step.update(`refreshing ${name}: new versions ${entry.run.swaps.map((s) => s.next.name).join(", ")}`);
    } catch (err) {
      // With --stack, services without vsp secrets are simply not ours to refresh.
      if (o.stack && err instanceof RolloutError && /mounts no/.test(err.message)) {
        step.skip(`${name}: no ${o.name} secret`);
        continue;
      }
      const reason = err instanceof RolloutError ? err.message : describe(err);
      entry.outcome = {
        service: name,
        outcome: "failed",
        reason,
        swaps: [],
        keptOld: [],
        ms: Date.now() - entry.start,
      };
      step.fail(`${name}: ${reason}`);
    }
  }
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const pending = started.filter((e) => e.run && !e.outcome);
    if (pending.length === 0) break;
    for (const e of pending) {
      const run = e.run!;
      let p: RolloutProgress;
      try {
        p = await rolloutProgress(swarm, run);
      } catch (err) {
        p = { state: "failed", reason: describe(err) };
      }
      if (p.state === "rolling" && Date.now() > deadline)
        p = {
          state: "failed",
          reason: `the rollout did not finish within ${o.timeoutMs / 1000}s (${p.updated}/${p.desired} tasks updated)`,
        };
      const swaps = run.swaps.map((s) => ({ from: s.old.name, to: s.next.name, target: s.target }));
      if (p.state === "rolling") {
        e.step.update(`refreshing ${run.service}: ${p.updated}/${p.desired} tasks updated`);
      } else if (p.state === "failed") {
        e.outcome = {
          service: run.service,
          outcome: "failed",
          reason: p.reason,
          swaps,
          keptOld: swaps.map((s) => s.from),
          ms: Date.now() - e.start,
        };
        e.step.fail(`${run.service}: ${p.reason}`);
      } else {
        const keptOld = await removeOldWhenStopped(
          swarm,
          run,
          Math.max(10_000, deadline - Date.now()),
          o.pollMs ?? 1000,
        );
        e.outcome = { service: run.service, outcome: "completed", swaps, keptOld, ms: Date.now() - e.start };
        e.step.succeed(`${run.service}: ${p.desired} task(s) on ${swaps.map((s) => s.to).join(", ")}`);
      }
    }
    if (started.some((e) => e.run && !e.outcome))
      await new Promise((res) => setTimeout(res, o.pollMs ?? 1000));
  }
  const services = started.flatMap((e) => (e.outcome ? [e.outcome] : []));
  return { ok: services.every((s) => s.outcome === "completed"), services };
}

/** Old tasks stop shortly after the rollout completes; their secret goes once none holds it. */
async function removeOldWhenStopped(
  swarm: RolloutSwarm,
  run: StartedRefresh,
  timeoutMs: number,
  pollMs: number,
): Promise<string[]> {
  let kept: string[] = [];
  return poll(
    async () => {
      const r = await removeOldVersions(swarm, run);
      kept = [...r.kept, ...r.waiting];
      return r.waiting.length === 0 ? kept : undefined;
    },
    { timeoutMs, intervalMs: pollMs, onTimeout: () => new Error("old tasks still stopping") },
  ).catch(() => kept);
}
