// The CLI's Vault client: node-vault on explicit paths, token and headers per call (see DESIGN §7),
// a timeout on every call, and errors reduced to status + Vault's message (never a header).
import fs from "node:fs";
import nodeVault from "node-vault";
import { redact, UsageError, VspError } from "../errors.js";

export interface VaultSettings {
  addr: string;
  token?: string;
  namespace?: string;
  caCertPath?: string;
  skipVerify: boolean;
  timeoutMs: number;
}

export function vaultSettingsFromEnv(env: NodeJS.ProcessEnv, addrFlag?: string): VaultSettings {
  const skip = (env.VAULT_SKIP_VERIFY ?? "").toLowerCase();
  return {
    addr: (addrFlag ?? env.VAULT_ADDR ?? "").replace(/\/$/, ""),
    token: env.VAULT_TOKEN || undefined,
    namespace: env.VAULT_NAMESPACE || undefined,
    caCertPath: env.VAULT_CACERT || undefined,
    // node-vault turns TLS checks off for any value, even "false": only explicit yes counts here.
    skipVerify: skip === "1" || skip === "true",
    timeoutMs: 10_000,
  };
}

const VAULT_UNREACHABLE_HINT =
  "check VAULT_ADDR (or --vault-addr), VAULT_CACERT for https, and that Vault runs and is unsealed";

/** Status 0: Vault did not answer (network, TLS, timeout); every command gives the same hint. */
export class VaultApiError extends VspError {
  constructor(
    readonly status: number,
    readonly vaultMessage: string,
    what: string,
  ) {
    super(
      `Vault ${what}: ${status ? `HTTP ${status}: ` : ""}${vaultMessage}`,
      status === 0
        ? VAULT_UNREACHABLE_HINT
        : status === 503
          ? "unseal Vault, or wait for it to be active"
          : undefined,
    );
  }
}

export interface Health {
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
  version?: string;
}

export interface TokenLookup {
  accessor: string;
  ttl: number;
  expire_time: string | null;
  policies: string[];
  renewable: boolean;
  period?: number;
  display_name?: string;
  orphan?: boolean;
  meta?: Record<string, string> | null;
  role?: string;
}

type Raw = Record<string, unknown>;

export class VaultClient {
  private readonly client: nodeVault.client;
  constructor(readonly settings: VaultSettings) {
    if (!settings.addr) {
      throw new UsageError("no Vault address", "set VAULT_ADDR or pass --vault-addr");
    }
    const requestOptions: Record<string, unknown> = {};
    if (settings.caCertPath) {
      try {
        requestOptions.ca = fs.readFileSync(settings.caCertPath);
      } catch {
        throw new UsageError(`VAULT_CACERT=${settings.caCertPath} cannot be read`);
      }
    }
    // node-vault 0.12 passes rpDefaults to its request library; its types do not list it.
    const options: nodeVault.VaultOptions & { rpDefaults: { strictSSL: boolean; timeout: number } } = {
      apiVersion: "v1",
      endpoint: settings.addr,
      // No token and no namespace in the client config: they go per request.
      token: "",
      requestOptions,
      rpDefaults: { strictSSL: !settings.skipVerify, timeout: settings.timeoutMs },
    };
    this.client = nodeVault(options);
    this.client.token = "";
    (this.client as unknown as { namespace?: string }).namespace = undefined;
  }

  get addr(): string {
    return this.settings.addr;
  }

  private requireToken(): string {
    if (!this.settings.token) throw new UsageError("no Vault token", "set VAULT_TOKEN to an operator token");
    return this.settings.token;
  }

  private async call(
    method: string,
    path: string,
    what: string,
    body?: unknown,
    token?: string | null,
  ): Promise<Raw> {
    const headers: Record<string, string> = {};
    const tok = token === null ? undefined : (token ?? this.requireToken());
    if (tok) headers["X-Vault-Token"] = tok;
    if (this.settings.namespace) headers["X-Vault-Namespace"] = this.settings.namespace;
    try {
      const res = (await this.client.request({
        path: `/${path}`,
        method,
        headers,
        ...(body !== undefined ? { json: body } : {}),
      })) as Raw | undefined;
      return res ?? {};
    } catch (err) {
      throw this.translate(err, what);
    }
  }

  private translate(err: unknown, what: string): VspError {
    const e = err as {
      response?: { statusCode?: number; body?: { errors?: string[] } };
      code?: string;
      message?: string;
    };
    if (e.response?.statusCode) {
      const errors = e.response.body?.errors ?? [];
      return new VaultApiError(e.response.statusCode, redact(errors.join("; ") || String(e.message)), what);
    }
    const code = e.code ?? "";
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code)) {
      return new VaultApiError(0, `the TLS certificate of ${this.addr} is not trusted (${code})`, what);
    }
    if (code === "ECONNABORTED" || /timeout/i.test(String(e.message))) {
      return new VaultApiError(0, `no answer from ${this.addr} within ${this.settings.timeoutMs} ms`, what);
    }
    return new VaultApiError(
      0,
      `cannot reach ${this.addr} (${code || redact(String(e.message)).slice(0, 120)})`,
      what,
    );
  }

  async health(): Promise<Health> {
    const res = await this.call(
      "GET",
      "sys/health?standbyok=true&sealedcode=200&uninitcode=200",
      "health",
      undefined,
      null,
    );
    return res as unknown as Health;
  }

  async lookupSelf(token?: string): Promise<TokenLookup> {
    const res = await this.call("GET", "auth/token/lookup-self", "token lookup", undefined, token);
    return res.data as TokenLookup;
  }

  async lookupAccessor(accessor: string): Promise<TokenLookup | undefined> {
    try {
      const res = await this.call("POST", "auth/token/lookup-accessor", "accessor lookup", { accessor });
      return res.data as TokenLookup;
    } catch (err) {
      if (err instanceof VaultApiError && (err.status === 400 || err.status === 403 || err.status === 404)) {
        if (/invalid accessor|not found|bad token/i.test(err.vaultMessage) || err.status === 400)
          return undefined;
      }
      throw err;
    }
  }

  async revokeAccessor(accessor: string): Promise<void> {
    await this.call("POST", "auth/token/revoke-accessor", "token revocation", { accessor });
  }

  async readPolicy(name: string): Promise<string | undefined> {
    try {
      const res = await this.call("GET", `sys/policies/acl/${name}`, `policy ${name} read`);
      return (res.data as { policy: string }).policy;
    } catch (err) {
      if (err instanceof VaultApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async writePolicy(name: string, policy: string): Promise<void> {
    await this.call("PUT", `sys/policies/acl/${name}`, `policy ${name} write`, { policy });
  }

  async deletePolicy(name: string): Promise<void> {
    await this.call("DELETE", `sys/policies/acl/${name}`, `policy ${name} delete`);
  }

  async readTokenRole(name: string): Promise<Raw | undefined> {
    try {
      const res = await this.call("GET", `auth/token/roles/${name}`, `token role ${name} read`);
      return res.data as Raw;
    } catch (err) {
      if (err instanceof VaultApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async writeTokenRole(name: string, body: Raw): Promise<void> {
    await this.call("POST", `auth/token/roles/${name}`, `token role ${name} write`, body);
  }

  async deleteTokenRole(name: string): Promise<void> {
    await this.call("DELETE", `auth/token/roles/${name}`, `token role ${name} delete`);
  }

  /** The request headers the audit log keeps (name → hmac), as Vault lists them. */
  async auditedHeaders(): Promise<Record<string, { hmac?: boolean }>> {
    const res = await this.call("GET", "sys/config/auditing/request-headers", "audited request headers");
    return ((res.data as { headers?: Record<string, { hmac?: boolean }> } | undefined)?.headers ??
      (res.headers as Record<string, { hmac?: boolean }> | undefined) ??
      {}) as Record<string, { hmac?: boolean }>;
  }

  async auditHeader(name: string): Promise<void> {
    await this.call("POST", `sys/config/auditing/request-headers/${name}`, `audited header ${name}`, {
      hmac: false,
    });
  }

  /** An orphan token (survives the operator's token). Returns the token and its accessor. */
  async createOrphanToken(body: Raw): Promise<{ token: string; accessor: string; ttl: number }> {
    const res = await this.call("POST", "auth/token/create-orphan", "token creation", body);
    const auth = res.auth as { client_token: string; accessor: string; lease_duration: number };
    return { token: auth.client_token, accessor: auth.accessor, ttl: auth.lease_duration };
  }

  async listAccessors(): Promise<string[]> {
    const res = await this.call("GET", "auth/token/accessors?list=true", "accessor list");
    return ((res.data as { keys?: string[] })?.keys ?? []) as string[];
  }

  /** Capabilities on paths of the operator token, or of `token` when given. */
  async capabilities(paths: string[], token?: string): Promise<Record<string, string[]>> {
    const res = await this.call("POST", "sys/capabilities-self", "capabilities", { paths }, token);
    const out: Record<string, string[]> = {};
    for (const p of paths) out[p] = (res[p] as string[]) ?? ((res.data as Raw)?.[p] as string[]) ?? [];
    return out;
  }

  /** A token on a token role (the operator's token asks); the caller revokes it. */
  async createRoleToken(role: string, body: Raw): Promise<{ token: string; accessor: string }> {
    const res = await this.call("POST", `auth/token/create/${role}`, `token creation on role ${role}`, body);
    const auth = res.auth as { client_token: string; accessor: string };
    return { token: auth.client_token, accessor: auth.accessor };
  }

  /** The mount holding `path` as `token` sees it; undefined when that token may see none. */
  async mountOf(
    path: string,
    token: string,
  ): Promise<{ path: string; type: string; version?: string } | undefined> {
    try {
      const res = await this.call("GET", `sys/internal/ui/mounts/${path}`, "mount lookup", undefined, token);
      const d = (res.data ?? {}) as { path?: string; type?: string; options?: { version?: string } | null };
      if (!d.path) return undefined;
      return {
        path: d.path.endsWith("/") ? d.path : `${d.path}/`,
        type: d.type ?? "",
        version: d.options?.version,
      };
    } catch (err) {
      if (err instanceof VaultApiError && (err.status === 403 || err.status === 400 || err.status === 404))
        return undefined;
      throw err;
    }
  }
}
