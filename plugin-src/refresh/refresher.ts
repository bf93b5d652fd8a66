// Automatic rollover for services that opted in with `vsp.refresh`. Runs in every plugin and
// acts only on the leader's, like the reaper; its state lives in Swarm configs, so a new leader
// carries on a rollout the old one started. At most `maxRolling` rollouts run at once, and a
// service Swarm is still updating is never rolled again.

import type { GetSecretRequest } from "../../common/contract.js";
import { describeModes, parseRefreshModes, REFRESH_LABEL } from "../../common/refresh-modes.js";
import { type RefreshState, stateLabels } from "../../common/refresh-state.js";
import {
  REFRESH_LABELS,
  type RolloutSwarm,
  removeOldVersions,
  rolloutProgress,
  type StartedRefresh,
  startRefresh,
  versionOf,
} from "../../common/rollout.js";
import { parseLabels, type SecretSpec } from "../../common/secret-labels.js";
import type { IssuanceRecord } from "../issuance/record.js";
import type { ClusterView } from "../issuance/swarm-store.js";
import { JitteredLoop } from "../jittered-loop.js";
import type { LogFn } from "../log.js";
import { DEFAULT_TASK_TTL_SECONDS } from "../provider.js";
import { splayFor, whenDue } from "./due.js";

/** every= rollovers of different services are spread over up to this much (at most a tenth of the period). */
const SPLAY_MAX_MS = 5 * 60_000;

import type { RefreshStateStore } from "./state-store.js";

export interface ServiceView {
  id: string;
  name: string;
  createdAt: string;
  labels: Record<string, string>;
  /** Swarm is still updating (or rolling back) the service. */
  rolling: boolean;
  runningTaskIds: Set<string>;
  /** The service's secrets of this deployment's driver. */
  secrets: { name: string; labels: Record<string, string> }[];
}

export interface RefreshSwarm {
  /** Services carrying the `vsp.refresh` label. */
  optedIn(): Promise<ServiceView[]>;
}

export type KvVersionProbe = (
  req: GetSecretRequest,
) => Promise<{ path: string; kv: 1 | 2; version?: number; pinned?: boolean } | undefined>;

export interface RefresherOptions {
  deployment: string;
  intervalMs: number;
  maxRolling: number;
  now?: () => number;
}

export interface PassResult {
  leader: boolean;
  started: string[];
  completed: string[];
  failed: string[];
  /** The earliest time a service not due yet becomes due (before-expiry, every=): the loop comes back then. */
  nextPassBy?: number;
}

export class Refresher {
  private readonly loop: JitteredLoop;
  private readonly now: () => number;

  constructor(
    private readonly cluster: Pick<ClusterView, "isLeader">,
    private readonly swarm: RefreshSwarm,
    private readonly rollouts: RolloutSwarm,
    private readonly store: RefreshStateStore,
    private readonly liveRecords: () => Promise<IssuanceRecord[]>,
    private readonly kvVersion: KvVersionProbe,
    private readonly log: LogFn,
    private readonly opts: RefresherOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.loop = new JitteredLoop(opts.intervalMs, () => this.pass(), log, "rollover pass failed");
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  async pass(): Promise<PassResult> {
    const result: PassResult = { leader: false, started: [], completed: [], failed: [] };
    if (!(await this.cluster.isLeader())) return result;
    result.leader = true;
    const [services, states, records] = await Promise.all([
      this.swarm.optedIn(),
      this.store.list(),
      this.liveRecords(),
    ]);
    const byService = new Map(states.map((s) => [s.serviceId, s]));
    let rolling = states.filter((s) => s.rollout && services.some((v) => v.id === s.serviceId)).length;
    const budget = {
      take: () => {
        if (rolling >= this.opts.maxRolling) return false;
        rolling++;
        return true;
      },
    };
    const considered: RefreshState[] = [];
    for (const svc of [...services].sort((a, b) => a.name.localeCompare(b.name))) {
      const state = byService.get(svc.id) ?? {
        serviceId: svc.id,
        service: svc.name,
        modes: "",
        kvVersions: {},
      };
      byService.delete(svc.id);
      considered.push(state);
      const before = JSON.stringify(stateLabels(this.opts.deployment, state));
      try {
        await this.consider(svc, state, records, budget, result);
      } catch (err) {
        this.failed(svc, state, result, String((err as Error).message).slice(0, 300));
      }
      if (JSON.stringify(stateLabels(this.opts.deployment, state)) !== before) await this.store.save(state);
    }
    // Services removed, or that dropped the label: their state goes.
    for (const orphan of byService.values()) await this.store.remove(orphan);
    const upcoming = considered
      .map((s) => Date.parse(s.nextAt ?? ""))
      .filter((at) => Number.isFinite(at) && at > this.now());
    if (upcoming.length > 0) result.nextPassBy = Math.min(...upcoming);
    return result;
  }

  private async consider(
    svc: ServiceView,
    state: RefreshState,
    records: IssuanceRecord[],
    budget: { take(): boolean },
    result: PassResult,
  ): Promise<void> {
    state.service = svc.name;
    let modes: ReturnType<typeof parseRefreshModes>;
    try {
      modes = parseRefreshModes(svc.labels[REFRESH_LABEL] ?? "");
    } catch (err) {
      state.modes = "";
      state.outcome = "refused";
      state.reason = (err as Error).message;
      return;
    }
    state.modes = describeModes(modes);
    if (state.rollout) return this.track(svc, state, result);
    if (svc.rolling) return; // Swarm is still rolling it (someone else's update): not now.

    const changed: string[] = [];
    const seen: Record<string, number> = {};
    const problems: string[] = [];
    if (modes.onChange) {
      for (const secret of svc.secrets) {
        let probe: Awaited<ReturnType<KvVersionProbe>>;
        try {
          probe = await this.kvVersion({
            ServiceName: svc.name,
            ServiceID: svc.id,
            ServiceLabels: svc.labels,
            SecretName: secret.name,
            SecretLabels: secret.labels,
          });
        } catch (err) {
          problems.push(`${secret.name}: ${(err as Error).message}`);
          continue;
        }
        if (!probe || probe.pinned) continue;
        if (probe.kv === 1) {
          problems.push(
            `on-change needs KV version 2, but ${probe.path} is on a KV version 1 mount: use every=DURATION`,
          );
          continue;
        }
        if (probe.version === undefined) continue;
        const last = state.kvVersions[probe.path];
        if (last !== undefined && last !== probe.version) changed.push(probe.path);
        seen[probe.path] = probe.version;
      }
    }
    const due = whenDue({
      modes,
      now: this.now(),
      lastRolloutAt: Date.parse(state.lastAt ?? svc.createdAt) || this.now(),
      credentials: this.credentials(svc, records),
      changedPaths: changed,
      splayMs: splayFor(svc.id, SPLAY_MAX_MS),
    });
    state.nextAt = due.nextAt !== undefined ? new Date(due.nextAt).toISOString() : undefined;
    if (!due.due) {
      state.kvVersions = { ...state.kvVersions, ...seen };
      if (problems.length > 0) {
        state.outcome = "refused";
        state.reason = problems.join("; ").slice(0, 500);
      } else if (state.outcome === "refused") {
        state.outcome = undefined;
        state.reason = undefined;
      }
      return;
    }
    if (!budget.take()) {
      this.log({
        msg: "rollover",
        service: svc.name,
        outcome: "deferred",
        why: `${due.why}; ${this.opts.maxRolling} rollouts already running`,
      });
      return;
    }
    const started = await startRefresh(this.rollouts, svc.id, this.opts.deployment);
    state.kvVersions = { ...state.kvVersions, ...seen };
    state.rollout = {
      startedAt: new Date(this.now()).toISOString(),
      swaps: started.swaps.map((s) => ({
        oldId: s.old.id,
        oldName: s.old.name,
        newId: s.next.id,
        newName: s.next.name,
        target: s.target,
      })),
    };
    state.lastAt = state.rollout.startedAt;
    state.outcome = "rolling";
    state.reason = due.why;
    state.nextAt = undefined;
    result.started.push(svc.name);
    this.log({
      msg: "rollover",
      service: svc.name,
      outcome: "started",
      why: due.why,
      secrets: started.swaps.map((s) => s.next.name),
    });
  }

  /** Lifetimes of the credentials held by the service's running tasks. */
  private credentials(
    svc: ServiceView,
    records: IssuanceRecord[],
  ): { issuedAt: number; lifetimeMs: number }[] {
    const out: { issuedAt: number; lifetimeMs: number }[] = [];
    for (const r of records) {
      if (r.serviceId !== svc.id || r.state !== "live" || !svc.runningTaskIds.has(r.task)) continue;
      const issuedAt = Date.parse(r.issuedAt);
      let lifetimeMs = r.expiresAt ? Date.parse(r.expiresAt) - issuedAt : Number.NaN;
      if (r.wrapAccessor) {
        // The record's end is the wrapping token's; the wrapped token lives its own TTL.
        const spec = specOf(svc.secrets.find((s) => s.name === r.secret)?.labels);
        lifetimeMs = (spec?.ttlSeconds ?? DEFAULT_TASK_TTL_SECONDS) * 1000;
        if (spec?.type === "kv") continue; // a wrapped kv value does not expire once unwrapped
      }
      if (Number.isFinite(issuedAt) && Number.isFinite(lifetimeMs) && lifetimeMs > 0)
        out.push({ issuedAt, lifetimeMs });
    }
    return out;
  }

  private failed(svc: ServiceView, state: RefreshState, result: PassResult, reason: string): void {
    state.outcome = "failed";
    state.reason = reason;
    result.failed.push(svc.name);
    this.log({ level: "warn", msg: "rollover", service: svc.name, outcome: "failed", error: reason });
  }

  private async track(svc: ServiceView, state: RefreshState, result: PassResult): Promise<void> {
    const run = await this.verified(svc, state);
    if (!run) {
      state.rollout = undefined;
      state.outcome = "failed";
      state.reason = "the recorded rollout did not match the secrets in Swarm; ignored";
      result.failed.push(svc.name);
      return;
    }
    const progress = await rolloutProgress(this.rollouts, run);
    if (progress.state === "rolling") return;
    if (progress.state === "failed") {
      state.rollout = undefined;
      this.failed(svc, state, result, progress.reason);
      return;
    }
    const { waiting, kept } = await removeOldVersions(this.rollouts, run);
    if (waiting.length > 0) return; // old tasks still stopping: next pass
    state.rollout = undefined;
    state.outcome = "completed";
    state.reason = kept.length ? `old versions kept, still mounted elsewhere: ${kept.join(", ")}` : undefined;
    result.completed.push(svc.name);
    this.log({ msg: "rollover", service: svc.name, outcome: "completed", tasks: progress.desired });
  }

  /**
   * The recorded rollout, trusted only as far as Swarm confirms it: every new secret is this
   * deployment's and a version of the old one (a forged state cannot make us remove others').
   */
  private async verified(svc: ServiceView, state: RefreshState): Promise<StartedRefresh | undefined> {
    const swaps: StartedRefresh["swaps"] = [];
    for (const w of state.rollout?.swaps ?? []) {
      const next = await this.rollouts.secret(w.newId);
      if (!next || next.driver !== this.opts.deployment) return undefined;
      const old = await this.rollouts.secret(w.oldId);
      const base = old ? versionOf(old).base : undefined;
      if (old && (old.driver !== this.opts.deployment || next.labels[REFRESH_LABELS.of] !== base))
        return undefined;
      swaps.push({
        old: { id: w.oldId, name: w.oldName },
        next: { id: w.newId, name: next.name },
        target: w.target,
      });
    }
    return swaps.length ? { serviceId: svc.id, service: svc.name, swaps } : undefined;
  }
}

function specOf(labels: Record<string, string> | undefined): SecretSpec | undefined {
  try {
    return labels ? parseLabels(labels) : undefined;
  } catch {
    return undefined;
  }
}
