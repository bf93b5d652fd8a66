// Polls whether this node leads the swarm (a cheap node inspect) and tells a listener, so the
// ledger knows its index is complete only while leadership has not been lost since its listing.
// The one place that asks: the reaper and the refresher read its answer (isLeading).
import type { LogFn } from "../log.js";
import type { ClusterView } from "./swarm-store.js";

export class LeadershipWatch {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = false;
  private last: { leading: boolean; at: number } | undefined;

  constructor(
    private readonly cluster: Pick<ClusterView, "isLeader">,
    private readonly tell: (leading: boolean, at: number) => void,
    private readonly log: LogFn,
    private readonly intervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.stopped = false;
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Leading as of a poll less than three intervals old; unknown or stale counts as not leading. */
  isLeading(): boolean {
    return !!this.last?.leading && this.now() - this.last.at < 3 * this.intervalMs;
  }

  async poll(): Promise<void> {
    const at = this.now();
    try {
      const leading = await this.cluster.isLeader();
      this.last = { leading, at };
      this.tell(leading, at);
      this.failing = false;
    } catch (err) {
      this.last = { leading: false, at };
      this.tell(false, at); // unknown counts as not leading
      if (!this.failing)
        this.log({
          level: "warn",
          msg: "cannot tell whether this node leads",
          error: String((err as Error).message).slice(0, 200),
        });
      this.failing = true;
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }
}
