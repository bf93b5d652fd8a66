// Revokes the credentials of tasks that ended. Runs in every plugin, acts only on the leader,
// so one manager at a time drives it and a new leader picks up what the old one left. A
// record is only a pointer read from Swarm (forgeable): before revoking, Vault must confirm the
// accessor is a task token of this deployment's role, minted for that task and secret.
import { JitteredLoop } from "../jittered-loop.js";
import type { LogFn } from "../log.js";
import type { Revoker } from "../revoker.js";
import type { IssuanceRecord } from "./record.js";
import type { ClusterView, IssuanceStore } from "./swarm-store.js";

/** Task states after which nothing runs any more (swarmkit's terminal states). */
const ENDED = new Set(["complete", "shutdown", "failed", "rejected", "orphaned", "remove"]);

export interface ReaperOptions {
  /** Name of the token role task tokens are minted on. */
  role: string;
  intervalMs: number;
  /** How long records of ended tasks stay, for vsp status ("revoked in the last hour"). */
  keepEndedMs?: number;
  /** Every how many passes ended records are listed for pruning (they are not needed otherwise). */
  pruneEvery?: number;
  /** Told after each pass what it listed (the ledger's index), or undefined when not leading. */
  onListed?: (live: IssuanceRecord[] | undefined, listStartedAt: number) => void;
  now?: () => number;
}

export interface SweepResult {
  leader: boolean;
  live: number;
  revoked: number;
  failed: number;
  kept: number;
  pending: number;
  pruned: number;
}

export class Reaper {
  private readonly loop: JitteredLoop;
  private running: Promise<SweepResult> | undefined;
  private passes = 0;
  private readonly now: () => number;

  constructor(
    private readonly store: IssuanceStore,
    private readonly cluster: ClusterView,
    private readonly revoker: Revoker,
    private readonly log: LogFn,
    private readonly opts: ReaperOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.loop = new JitteredLoop(opts.intervalMs, () => this.sweep(), log, "revocation sweep failed");
  }

  start(): void {
    this.loop.start();
  }

  stop(): void {
    this.loop.stop();
  }

  /** One pass; concurrent callers share it. */
  sweep(): Promise<SweepResult> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<SweepResult> {
    try {
      return await this.passOnce();
    } catch (err) {
      this.opts.onListed?.(undefined, this.now()); // leadership unknown: the index is not to be trusted
      throw err;
    }
  }

  private async passOnce(): Promise<SweepResult> {
    const result: SweepResult = {
      leader: false,
      live: 0,
      revoked: 0,
      failed: 0,
      kept: 0,
      pending: 0,
      pruned: 0,
    };
    if (!(await this.cluster.isLeader())) return result;
    result.leader = true;
    const records = await this.store.all();
    const live = records.filter((r) => r.state === "live");
    const tasks = await this.cluster.tasksOf(live.map((r) => r.serviceId));
    for (const r of live) {
      const task = tasks.get(r.task);
      if (task && !ENDED.has(task.state)) {
        result.live++;
        continue;
      }
      const outcome = await this.end(r, task?.state ?? "removed");
      result[outcome]++;
    }
    if (this.passes++ % (this.opts.pruneEvery ?? 12) !== 0) return result;
    const cutoff = this.now() - (this.opts.keepEndedMs ?? 3_600_000);
    for (const r of await this.store.all()) {
      if (r.state === "live") continue;
      const ended = Date.parse(r.endedAt ?? "");
      if (Number.isNaN(ended) || ended < cutoff) {
        await this.store.remove(r);
        result.pruned++;
      }
    }
    return result;
  }

  private async end(
    r: IssuanceRecord,
    taskState: string,
  ): Promise<"revoked" | "failed" | "kept" | "pending"> {
    let state: IssuanceRecord["state"];
    let reason: string;
    if (r.revoke === "never") {
      [state, reason] = ["kept", "vsp.revoke=never: left to its TTL"];
    } else if (!r.accessor) {
      [state, reason] = ["kept", "a wrapping token only: it ends at its TTL or first unwrap"];
    } else {
      try {
        [state, reason] = await this.revokeVerified(r);
      } catch (err) {
        // Vault unreachable or sealed: the record stays live and the next sweep tries again.
        const why = `revocation pending: ${String((err as Error).message).slice(0, 200)}`;
        if (r.reason !== why) await this.save({ ...r, reason: why });
        this.log({
          level: "warn",
          msg: "revocation failed; will retry",
          task_id: r.task,
          accessor: r.accessor,
          error: why,
        });
        return "pending";
      }
    }
    await this.save({ ...r, state, reason, endedAt: new Date(this.now()).toISOString() });
    this.log({
      level: state === "failed" ? "warn" : "info",
      msg: "task ended",
      task_id: r.task,
      task_state: taskState,
      secret: r.secret,
      service: r.service,
      accessor: r.accessor,
      outcome: state,
      reason,
    });
    return state === "live" ? "pending" : state;
  }

  private async revokeVerified(r: IssuanceRecord): Promise<[IssuanceRecord["state"], string]> {
    const accessor = r.accessor!;
    const info = await this.revoker.lookup(accessor);
    if (!info) return ["revoked", "already expired or revoked"];
    if (info.role !== this.opts.role || info.meta.task_id !== r.task || info.meta.secret !== r.secret) {
      return [
        "failed",
        `accessor is not a ${this.opts.role} token minted for task ${r.task} and secret ${r.secret}: not revoked (a forged or stale record?)`,
      ];
    }
    const done = await this.revoker.revoke(accessor);
    return ["revoked", done === "gone" ? "already expired or revoked" : "revoked with its leases"];
  }

  private async save(r: IssuanceRecord): Promise<void> {
    try {
      await this.store.update(r);
    } catch (err) {
      // Changed meanwhile (another leader's sweep): the next pass reads it again.
      this.log({
        level: "warn",
        msg: "could not update an issuance record",
        task_id: r.task,
        error: String((err as Error).message).slice(0, 200),
      });
    }
  }
}
