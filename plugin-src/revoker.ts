// Looks up and revokes task tokens by accessor, with the plugin's own token. Revoking a token
// revokes the leases it created (dynamic secrets, certificates) with it.
import type { TokenKeeper } from "./token-keeper.js";
import type { VaultHttpClient } from "./vault-http.js";
import { VaultHttpError } from "./vault-http.js";

export interface AccessorInfo {
  role?: string;
  path?: string;
  meta: Record<string, string>;
  policies: string[];
  expireTime?: string;
}

export interface Revoker {
  /** undefined: no such token (expired or already revoked). */
  lookup(accessor: string): Promise<AccessorInfo | undefined>;
  /** "gone": there was nothing left to revoke. */
  revoke(accessor: string): Promise<"revoked" | "gone">;
}

/** Vault answers 400 "invalid accessor" for a token that no longer exists. */
function isGone(err: unknown): boolean {
  return (
    err instanceof VaultHttpError &&
    err.status === 400 &&
    err.vaultErrors.some((e) => /invalid accessor/i.test(e))
  );
}

export class VaultRevoker implements Revoker {
  constructor(
    private readonly vault: VaultHttpClient,
    private readonly tokens: Pick<TokenKeeper, "withToken">,
  ) {}

  async lookup(accessor: string): Promise<AccessorInfo | undefined> {
    try {
      const res = await this.tokens.withToken((token) =>
        this.vault.call({ method: "POST", path: "auth/token/lookup-accessor", token, body: { accessor } }),
      );
      const d = (res.data ?? {}) as {
        role?: string;
        path?: string;
        meta?: Record<string, string> | null;
        policies?: string[];
        expire_time?: string | null;
      };
      return {
        role: d.role,
        path: d.path,
        meta: d.meta ?? {},
        policies: d.policies ?? [],
        expireTime: d.expire_time ?? undefined,
      };
    } catch (err) {
      if (isGone(err)) return undefined;
      throw err;
    }
  }

  async revoke(accessor: string): Promise<"revoked" | "gone"> {
    try {
      await this.tokens.withToken((token) =>
        this.vault.call({ method: "POST", path: "auth/token/revoke-accessor", token, body: { accessor } }),
      );
      return "revoked";
    } catch (err) {
      if (isGone(err)) return "gone";
      throw err;
    }
  }
}
