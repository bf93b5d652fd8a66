// Swarm asks more than once for the same task's secret. A repeat (same task, same secret)
// gets the value already issued while it is valid: short-lived, bounded, in memory only.

interface Entry<T> {
  value: Promise<T>;
  expires: number;
  /** Still being issued: never evicted, or a concurrent repeat would issue a second value. */
  pending: boolean;
}

export class RepeatCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Returns the live entry for `key`, or runs `produce` once (concurrent repeats share it).
   * `validMs` bounds the entry by the value's own lifetime (0: not remembered once produced);
   * failures are not remembered.
   */
  async getOrIssue(
    key: string,
    produce: () => Promise<T>,
    validMs: (value: T) => number | undefined,
  ): Promise<{ value: T; repeat: boolean }> {
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return { value: await hit.value, repeat: true };
    if (hit) this.entries.delete(key);

    this.makeRoom(now);
    const promise = produce();
    const entry: Entry<T> = { value: promise, expires: now + this.ttlMs, pending: true };
    this.entries.set(key, entry);
    try {
      const value = await promise;
      entry.pending = false;
      const bound = validMs(value);
      if (bound === 0) {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      } else if (bound !== undefined) entry.expires = Math.min(entry.expires, now + bound);
      return { value, repeat: false };
    } catch (err) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw err;
    }
  }

  /** Drops every expired entry: lifetimes differ (each value's own TTL), so all are looked at. */
  private dropExpired(now: number): void {
    for (const [key, entry] of this.entries)
      if (!entry.pending && entry.expires <= now) this.entries.delete(key);
  }

  /** At the bound: expired entries first, then the oldest settled ones; entries being issued stay. */
  private makeRoom(now: number): void {
    if (this.entries.size < this.maxEntries) return;
    this.dropExpired(now);
    for (const [key, entry] of this.entries) {
      if (this.entries.size < this.maxEntries) break;
      if (!entry.pending) this.entries.delete(key);
    }
  }

  /** Drops what has expired even when no request comes (call it from a timer). */
  sweep(): void {
    this.dropExpired(this.now());
  }
}
