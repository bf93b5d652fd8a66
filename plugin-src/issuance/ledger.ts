// One credential per (task, secret), cluster-wide. Before a credential is minted the ledger
// looks for a record of an earlier issuance to that task (made by this plugin or by the plugin
// of a manager that led before); after it is minted the record is written to Swarm off the
// answer's path, retried until it lands.
//
// The look-up costs no call while the ledger's index is known to be complete: only the leader
// is asked for secrets, and only while it leads, so a list of the live records taken after
// this node became leader, plus what it issued since, holds every issuance as long as it has
// led without a break. The reaper's passes list (after checking leadership) and a leadership
// watch confirms every second; until a listing follows the start of this node's leadership,
// or when leadership was not confirmed lately, each look-up is one inspect of the record's
// config by its name.
import type { GetSecretRequest } from "../../common/contract.js";
import { ProviderError } from "../errors.js";
import type { LogFn } from "../log.js";
import type { IssuanceGuard, MintedCredential } from "../provider.js";
import { type IssuanceRecord, isSafeId } from "./record.js";
import type { IssuanceStore } from "./swarm-store.js";

export interface LedgerOptions {
  retryMs?: number;
  /** How long a confirmation of leadership keeps the index trusted. */
  confirmMs?: number;
  /** Records waiting to be written; past it the oldest is dropped (its credential ends at its TTL). */
  maxPending?: number;
  now?: () => number;
}

export class IssuanceLedger implements IssuanceGuard {
  private readonly pending: IssuanceRecord[] = [];
  /** "task\0secret" of every live record, when trusted. */
  private index = new Set<string>();
  private listedAt: number | undefined;
  private leadingSince: number | undefined;
  private confirmedAt = 0;
  private readonly confirmMs: number;
  private flushing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly retryMs: number;
  private readonly maxPending: number;
  private readonly now: () => number;

  constructor(
    private readonly store: IssuanceStore,
    private readonly log: LogFn,
    opts: LedgerOptions = {},
  ) {
    this.retryMs = opts.retryMs ?? 2000;
    this.confirmMs = opts.confirmMs ?? 3000;
    this.maxPending = opts.maxPending ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  async beforeMint(req: GetSecretRequest): Promise<void> {
    const task = req.TaskID;
    if (!isSafeId(task) || !isSafeId(req.ServiceID)) {
      throw new ProviderError(
        "request carries no valid TaskID and ServiceID: vsp ties every credential to the task it was issued to",
      );
    }
    const secret = req.SecretName ?? "";
    const mine = this.pending.find((r) => r.task === task && r.secret === secret);
    if (mine) throw alreadyIssued(mine);
    if (this.indexComplete()) {
      if (this.index.has(key(task, secret))) throw alreadyIssued({ task, issuedAt: "an earlier request" });
      return;
    }
    let earlier: IssuanceRecord | undefined;
    try {
      earlier = await this.store.find(task, secret);
    } catch (err) {
      throw new ProviderError(
        `cannot read vsp's issuance records from Swarm (${String((err as Error).message).slice(0, 120)}); refusing to mint a second credential blindly`,
        "internal",
      );
    }
    if (earlier) throw alreadyIssued(earlier);
  }

  /**
   * The reaper's view after each pass: the live records listed (the pass having found this
   * node leading before it listed), or undefined when this node does not lead.
   */
  listed(live: IssuanceRecord[] | undefined, listStartedAt: number): void {
    if (!live) {
      this.listedAt = undefined;
      this.index.clear();
      return;
    }
    const index = new Set(live.map((r) => key(r.task, r.secret)));
    // What this plugin issued after the listing started is in its memory, not (yet) in the list.
    for (const k of this.issuedSince(listStartedAt)) index.add(k);
    this.index = index;
    this.listedAt = listStartedAt;
  }

  /** From the leadership watch. */
  leading(leading: boolean, at: number): void {
    if (!leading) {
      this.leadingSince = undefined;
      this.listedAt = undefined;
      return;
    }
    this.leadingSince ??= at;
    this.confirmedAt = at;
  }

  private indexComplete(): boolean {
    return (
      this.listedAt !== undefined &&
      this.leadingSince !== undefined &&
      this.listedAt >= this.leadingSince &&
      this.now() - this.confirmedAt < this.confirmMs
    );
  }

  private readonly recent: { at: number; key: string }[] = [];

  private issuedSince(at: number): string[] {
    while (this.recent.length > 0 && this.recent[0]!.at < at - 60_000) this.recent.shift();
    return this.recent.filter((r) => r.at >= at).map((r) => r.key);
  }

  issued(req: GetSecretRequest, c: MintedCredential): void {
    const issuedAt = new Date(this.now()).toISOString();
    const k = key(req.TaskID ?? "", req.SecretName ?? "");
    this.index.add(k);
    this.recent.push({ at: this.now(), key: k });
    this.pending.push({
      task: req.TaskID ?? "",
      service: req.ServiceName ?? "",
      serviceId: req.ServiceID ?? "",
      secret: req.SecretName ?? "",
      type: c.type,
      accessor: c.accessor,
      wrapAccessor: c.wrapAccessor,
      lease: c.lease,
      issuedAt,
      expiresAt:
        c.validSeconds === undefined ? undefined : new Date(this.now() + c.validSeconds * 1000).toISOString(),
      revoke: c.revoke,
      state: "live",
    });
    while (this.pending.length > this.maxPending) {
      const dropped = this.pending.shift()!;
      this.log({
        level: "warn",
        msg: "issuance record dropped (Swarm unreachable too long); its credential ends at its TTL",
        task_id: dropped.task,
        secret: dropped.secret,
        accessor: dropped.accessor,
      });
    }
    // After the answer is written: even building the Docker request is kept off its path.
    setImmediate(() => void this.flush());
  }

  /** Writes pending records in order; on a failure, tries again later. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const next = this.pending[0]!;
        try {
          await this.store.create(next);
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 409) {
            // Another manager recorded this (task, secret) at the same moment: two credentials.
            this.log({
              level: "warn",
              msg: "a second credential was issued to this task by another manager; it ends at its TTL",
              task_id: next.task,
              secret: next.secret,
              accessor: next.accessor,
            });
            this.pending.shift();
            continue;
          }
          this.log({
            level: "warn",
            msg: "could not write an issuance record to Swarm; will retry",
            task_id: next.task,
            secret: next.secret,
            error: String((err as Error).message).slice(0, 200),
          });
          this.scheduleRetry();
          return;
        }
        if (this.pending[0] === next) this.pending.shift();
      }
    } finally {
      this.flushing = false;
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }
}

function key(task: string, secret: string): string {
  return `${task}\u0000${secret}`;
}

function alreadyIssued(r: Pick<IssuanceRecord, "task" | "issuedAt">): ProviderError {
  return new ProviderError(
    `already issued to task ${r.task} (${r.issuedAt}); vsp issues one credential per task and secret (a running task keeps the one it started with; a new task gets its own)`,
    "already-issued",
  );
}
