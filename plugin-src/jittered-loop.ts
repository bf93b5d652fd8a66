// A background job run every interval ±20 % (managers restarted together do not poll in step),
// one pass at a time, a failed pass logged and the next one scheduled. Off the request path.
// A pass that knows when it is next needed (a credential's due time) says so, and the next pass
// comes then if that is sooner, but never sooner than MIN_GAP_MS after this one.
import type { LogFn } from "./log.js";

/** What a pass may answer: the time (epoch ms) by which the next pass is needed. */
export interface PassWish {
  nextPassBy?: number;
}

export const MIN_GAP_MS = 1000;

function nextPassBy(result: unknown): number | undefined {
  const by = (result as PassWish | undefined)?.nextPassBy;
  return typeof by === "number" && Number.isFinite(by) ? by : undefined;
}

export class JitteredLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    private readonly intervalMs: number,
    private readonly pass: () => Promise<unknown>,
    private readonly log: LogFn,
    private readonly failureMsg: string,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(by?: number): void {
    if (this.stopped) return;
    const jittered = this.intervalMs * (0.8 + Math.random() * 0.4);
    const delay = by === undefined ? jittered : Math.max(MIN_GAP_MS, Math.min(jittered, by - Date.now()));
    this.timer = setTimeout(() => {
      let wish: number | undefined;
      this.pass()
        .then((result) => {
          wish = nextPassBy(result);
        })
        .catch((err: Error) =>
          this.log({ level: "warn", msg: this.failureMsg, error: String(err?.message).slice(0, 200) }),
        )
        .finally(() => this.schedule(wish));
    }, delay);
    this.timer.unref();
  }
}
