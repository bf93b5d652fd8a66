// A background job run every interval ±20 % (managers restarted together do not poll in step),
// one pass at a time, a failed pass logged and the next one scheduled. Off the request path.
import type { LogFn } from "./log.js";

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

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.intervalMs * (0.8 + Math.random() * 0.4);
    this.timer = setTimeout(() => {
      this.pass()
        .catch((err: Error) =>
          this.log({ level: "warn", msg: this.failureMsg, error: String(err?.message).slice(0, 200) }),
        )
        .finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }
}
