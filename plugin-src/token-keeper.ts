// Holds the plugin's own (bootstrap) token: loads it from the helper, renews it in the
// background, and re-reads the helper when Vault rejects it (rotation).

import { ProviderError } from "./errors.js";
import type { BootstrapSource } from "./helper-reader.js";
import type { VaultHttpClient } from "./vault-http.js";
import { VaultHttpError } from "./vault-http.js";

export interface TokenInfo {
  accessor: string;
  ttlSeconds: number;
  renewable: boolean;
}

export class TokenKeeper {
  private token: string | undefined;
  private info: TokenInfo | undefined;
  private loading: Promise<string> | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly vault: VaultHttpClient,
    private readonly source: BootstrapSource,
    private readonly log: (event: Record<string, unknown>) => void,
  ) {}

  get accessor(): string | undefined {
    return this.info?.accessor;
  }

  async current(): Promise<string> {
    if (this.token) return this.token;
    return this.reload();
  }

  /** Reads the helper again; concurrent callers share one read. */
  reload(): Promise<string> {
    if (!this.loading) {
      this.loading = this.load().finally(() => {
        this.loading = undefined;
      });
    }
    return this.loading;
  }

  private async load(): Promise<string> {
    const candidate = await this.source.readToken();
    const info = await this.lookup(candidate);
    this.token = candidate;
    this.info = info;
    this.renewFailures = 0;
    this.log({ msg: "bootstrap token loaded", accessor: info.accessor, ttl: info.ttlSeconds });
    this.scheduleRenewal();
    return candidate;
  }

  private async lookup(token: string): Promise<TokenInfo> {
    try {
      const res = await this.vault.call({ method: "GET", path: "auth/token/lookup-self", token });
      const data = (res.data ?? {}) as { accessor?: string; ttl?: number; renewable?: boolean };
      return { accessor: data.accessor ?? "", ttlSeconds: data.ttl ?? 0, renewable: data.renewable ?? false };
    } catch (err) {
      if (err instanceof VaultHttpError && err.permissionDenied) {
        throw new ProviderError(
          "Vault rejects the bootstrap token held by the helper (revoked or expired); run vsp bootstrap-token rotate",
          "bootstrap",
        );
      }
      throw err;
    }
  }

  /**
   * Runs `fn` with the plugin token; if Vault says 403 and the token itself is no longer
   * valid, re-reads the helper once and tries again.
   */
  async withToken<T>(fn: (token: string) => Promise<T>): Promise<T> {
    const token = await this.current();
    try {
      return await fn(token);
    } catch (err) {
      if (!(err instanceof VaultHttpError && err.permissionDenied)) throw err;
      if (await this.stillValid(token)) throw err;
      if (this.token === token) this.token = undefined;
      const fresh = await this.current();
      if (fresh === token) throw err;
      return fn(fresh);
    }
  }

  private async stillValid(token: string): Promise<boolean> {
    try {
      await this.vault.call({ method: "GET", path: "auth/token/lookup-self", token });
      return true;
    } catch (err) {
      if (err instanceof VaultHttpError && err.permissionDenied) return false;
      throw err;
    }
  }

  private scheduleRenewal(): void {
    if (this.stopped || !this.info?.renewable || this.info.ttlSeconds <= 0) return;
    this.schedule(Math.max(5, this.info.ttlSeconds / 2) * 1000);
  }

  private schedule(delayMs: number): void {
    if (this.renewTimer) clearTimeout(this.renewTimer);
    if (this.stopped) return;
    this.nextRenewalMs = delayMs;
    this.renewTimer = setTimeout(() => void this.renew(), delayMs);
    this.renewTimer.unref();
  }

  /** Delay of the renewal now scheduled (for tests and the log). */
  nextRenewalMs: number | undefined;
  private renewFailures = 0;

  /** Renews the token held now; the timer calls it, tests may too. */
  async renew(): Promise<void> {
    const token = this.token;
    if (!token) return;
    try {
      const res = await this.vault.call({ method: "POST", path: "auth/token/renew-self", token, body: {} });
      // A reload swapped the token meanwhile: the new one has its own schedule.
      if (this.token !== token) return;
      const auth = (res.auth ?? {}) as { lease_duration?: number; renewable?: boolean };
      if (this.info) {
        this.info.ttlSeconds = auth.lease_duration ?? this.info.ttlSeconds;
        this.info.renewable = auth.renewable ?? this.info.renewable;
      }
      this.renewFailures = 0;
      this.log({ msg: "bootstrap token renewed", accessor: this.info?.accessor, ttl: this.info?.ttlSeconds });
      this.scheduleRenewal();
    } catch (err) {
      if (this.token !== token) return;
      this.log({ level: "warn", msg: "bootstrap token renewal failed", error: (err as Error).message });
      if (err instanceof VaultHttpError && err.permissionDenied) {
        this.token = undefined;
        this.reload().catch(() => undefined);
      } else {
        // Vault unreachable or sealed: back off (5 s doubling to 5 min, ±20 % jitter).
        this.renewFailures++;
        const base = Math.min(300_000, 5000 * 2 ** (this.renewFailures - 1));
        this.schedule(base * (0.8 + Math.random() * 0.4));
      }
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.renewTimer) clearTimeout(this.renewTimer);
  }
}
