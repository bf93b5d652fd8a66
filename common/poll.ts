// The one poller: ask until there is an answer or the time is up, for engine state that
// converges (tasks, plugins, secrets) in the CLI and in the test ground alike.

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Keep asking when the probe throws (the last error goes to onTimeout); else it fails at once. */
  retryErrors?: boolean;
  onTimeout: (lastError: unknown) => Error | Promise<Error>;
}

export async function poll<T>(probe: () => Promise<T | undefined>, o: PollOptions): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      if (!o.retryErrors) throw err;
      last = err;
    }
    if (Date.now() > deadline) throw await o.onTimeout(last);
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 500));
  }
}

/** poll() for the CLI: a probe error ends the wait at once (it carries the reason). */
export function until<T>(
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  onTimeout: () => Promise<Error> | Error,
  intervalMs = 500,
): Promise<T> {
  return poll(probe, { timeoutMs, intervalMs, onTimeout: () => onTimeout() });
}
