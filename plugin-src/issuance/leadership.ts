// Polls whether this node leads the swarm (a cheap node inspect) and tells a listener, so the
// ledger knows its index is complete only while leadership has not been lost since its listing.
import type { LogFn } from "../log.js";
import type { ClusterView } from "./swarm-store.js";

export class LeadershipWatch {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = false;

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

  async poll(): Promise<void> {
    const at = this.now();
    try {
      this.tell(await this.cluster.isLeader(), at);
      this.failing = false;
    } catch (err) {
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
