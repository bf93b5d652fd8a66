// Swarm asks more than once for the same task's secret. A repeat (same task, same secret)
// gets the value already issued while it is valid: short-lived, bounded, in memory only.

interface Entry<T> {
  value: Promise<T>;
  expires: number;
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
   * `validMs` bounds the entry by the value's own lifetime; failures are not remembered.
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

    const promise = produce();
    const entry: Entry<T> = { value: promise, expires: now + this.ttlMs };
    this.evict(now);
    this.entries.set(key, entry);
    try {
      const value = await promise;
      const bound = validMs(value);
      if (bound !== undefined) entry.expires = Math.min(entry.expires, now + bound);
      return { value, repeat: false };
    } catch (err) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw err;
    }
  }

  /**
   * Entries go in roughly in expiry order, so expired ones are dropped from the front; past
   * the bound the oldest go too. Values are forgotten as soon as they are no longer valid.
   */
  private evict(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expires > now && this.entries.size < this.maxEntries) break;
      this.entries.delete(key);
    }
  }

  /** Drops what has expired even when no request comes (call it from a timer). */
  sweep(): void {
    this.evict(this.now());
  }
}
