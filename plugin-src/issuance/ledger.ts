// One credential per (task, secret), cluster-wide. Before a credential is minted the ledger
// looks for a record of an earlier issuance to that task (made by this plugin or by the plugin
// of a manager that led before); after it is minted the record is written to Swarm off the
// answer's path, retried until it lands.
import type { GetSecretRequest } from "../../common/contract.js";
import { ProviderError } from "../errors.js";
import type { LogFn } from "../log.js";
import type { IssuanceGuard, MintedCredential } from "../provider.js";
import { type IssuanceRecord, isSafeId } from "./record.js";
import type { IssuanceStore } from "./swarm-store.js";

export interface LedgerOptions {
  retryMs?: number;
  /** Records waiting to be written; past it the oldest is dropped (its credential ends at its TTL). */
  maxPending?: number;
  now?: () => number;
}

export class IssuanceLedger implements IssuanceGuard {
  private readonly pending: IssuanceRecord[] = [];
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
    let records: IssuanceRecord[];
    try {
      records = await this.store.forTask(task);
    } catch (err) {
      throw new ProviderError(
        `cannot read vsp's issuance records from Swarm (${String((err as Error).message).slice(0, 120)}); refusing to mint a second credential blindly`,
        "internal",
      );
    }
    const earlier = records.find((r) => r.secret === secret);
    if (earlier) throw alreadyIssued(earlier);
  }

  issued(req: GetSecretRequest, c: MintedCredential): void {
    const issuedAt = new Date(this.now()).toISOString();
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
    void this.flush();
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

function alreadyIssued(r: IssuanceRecord): ProviderError {
  return new ProviderError(
    `already issued to task ${r.task} at ${r.issuedAt}; vsp issues one credential per task and secret (a running task keeps the one it started with; a new task gets its own)`,
    "already-issued",
  );
}
