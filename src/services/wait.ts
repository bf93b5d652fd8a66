// Polling with a deadline, for engine state that converges (tasks, plugins).
export async function until<T>(
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  onTimeout: () => Promise<Error> | Error,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw await onTimeout();
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
