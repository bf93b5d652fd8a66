// Read tokens for kv values: one batch token per policy, minted on the deployment's read role and
// reused for a minute, so a delivered kv value costs Vault one read instead of a token creation
// (a storage write) and a read. Batch tokens are not stored, cannot be revoked or listed, and
// expire on their own (READ_TOKEN_TTL_SECONDS); one never leaves the plugin. Which task a read was
// for is in the read's request headers (AUDIT_HEADERS), which vsp deploy has the audit log keep.

export const READ_TOKEN_TTL_SECONDS = 120;
/** A cached token is used while it has more than this much life left. */
const MIN_LIFE_MS = 60_000;
const MAX_POLICIES = 2000;

export interface MintedRead {
  token: string;
  ttlSeconds: number;
}

interface Entry {
  token: string;
  expiresAt: number;
}

export class ReadTokens {
  private readonly cache = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Entry>>();

  constructor(
    private readonly mint: (policy: string, service: string) => Promise<MintedRead>,
    private readonly now: () => number = Date.now,
  ) {}

  /** A token of `policy` with at least a minute left: cached, or minted once for every caller waiting. */
  async get(policy: string, service: string): Promise<string> {
    const hit = this.cache.get(policy);
    if (hit && hit.expiresAt - this.now() > MIN_LIFE_MS) return hit.token;
    let wait = this.pending.get(policy);
    if (!wait) {
      const started = this.now();
      wait = this.mint(policy, service)
        .then((m) => {
          const entry = { token: m.token, expiresAt: started + m.ttlSeconds * 1000 };
          this.remember(policy, entry);
          return entry;
        })
        .finally(() => this.pending.delete(policy));
      this.pending.set(policy, wait);
    }
    return (await wait).token;
  }

  /** Forgets a token Vault refused (its policy may have been recreated, Vault restarted). */
  drop(policy: string, token: string): void {
    if (this.cache.get(policy)?.token === token) this.cache.delete(policy);
  }

  get size(): number {
    return this.cache.size;
  }

  private remember(policy: string, entry: Entry): void {
    this.cache.delete(policy);
    this.cache.set(policy, entry);
    // Oldest first in a Map: drop expired entries, then the oldest beyond the cap.
    for (const [p, e] of this.cache) {
      if (this.cache.size <= MAX_POLICIES && e.expiresAt > this.now()) break;
      this.cache.delete(p);
    }
  }
}
