// The task role's explicit max TTL, read from Vault now and then (off the request path), so a
// vsp.ttl above it is refused with the limit named rather than silently capped by Vault.
import type { LogFn } from "./log.js";
import type { TokenKeeper } from "./token-keeper.js";
import type { VaultHttpClient } from "./vault-http.js";

export class RoleLimits {
  private maxTtl: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly vault: VaultHttpClient,
    private readonly tokens: Pick<TokenKeeper, "withToken">,
    private readonly role: string,
    private readonly log: LogFn,
    private readonly refreshMs = 5 * 60_000,
  ) {}

  /** Seconds, or undefined while unknown (Vault then caps the TTL itself). */
  maxTtlSeconds(): number | undefined {
    return this.maxTtl;
  }

  start(): void {
    void this.refresh();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      const res = await this.tokens.withToken((token) =>
        this.vault.call({ method: "GET", path: `auth/token/roles/${this.role}`, token }),
      );
      const d = (res.data ?? {}) as { token_explicit_max_ttl?: number; explicit_max_ttl?: number };
      const max = Number(d.token_explicit_max_ttl ?? d.explicit_max_ttl ?? 0);
      this.maxTtl = max > 0 ? max : undefined;
    } catch (err) {
      this.log({
        level: "warn",
        msg: "cannot read the task role's limits",
        error: String((err as Error).message).slice(0, 200),
      });
    }
    // Sooner while unknown (bootstrap token not loaded yet), then every few minutes.
    this.timer = setTimeout(() => void this.refresh(), this.maxTtl === undefined ? 15_000 : this.refreshMs);
    this.timer.unref();
  }
}
