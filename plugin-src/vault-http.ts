// A small Vault HTTP client for the plugin: keep-alive, a timeout on every call, bounded
// retries where a retry cannot duplicate an effect, and errors that never carry a token.
import http from "node:http";
import https from "node:https";
import { ProviderError } from "./errors.js";

export interface VaultClientOptions {
  address: string;
  namespace?: string;
  caCertPem?: string;
  timeoutMs: number;
  retries: number;
}

export interface VaultCall {
  method: "GET" | "POST" | "PUT" | "LIST" | "DELETE";
  path: string;
  token?: string;
  body?: unknown;
  wrapSeconds?: number;
  /** Extra request headers (vsp's audit headers); never a token. */
  headers?: Record<string, string>;
  /** Aborts the call (and its retries); only for calls that create nothing in Vault. */
  signal?: AbortSignal;
}

export type VaultResponse = Record<string, unknown>;

/** Vault's answer whatever its status (what `request` gives; `call` turns non-2xx into errors). */
export interface VaultAnswer {
  status: number;
  body: VaultResponse;
}

export class VaultHttpError extends ProviderError {
  constructor(
    message: string,
    readonly status: number,
    readonly vaultErrors: string[],
  ) {
    super(message, "vault", status);
  }
  get sealed(): boolean {
    return this.status === 503 && this.vaultErrors.some((e) => /sealed/i.test(e));
  }
  get permissionDenied(): boolean {
    return this.status === 403;
  }
}

const RETRYABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
]);

export class VaultHttpClient {
  private readonly url: URL;
  private readonly agent: http.Agent;
  calls = 0;

  constructor(readonly options: VaultClientOptions) {
    if (!options.address) {
      throw new ProviderError(
        "VAULT_ADDR is not set in the plugin's settings; redeploy with vsp deploy",
        "internal",
      );
    }
    this.url = new URL(options.address);
    const agentOptions = { keepAlive: true, maxSockets: 64, keepAliveMsecs: 10_000 };
    this.agent =
      this.url.protocol === "https:"
        ? new https.Agent({ ...agentOptions, ...(options.caCertPem ? { ca: options.caCertPem } : {}) })
        : new http.Agent(agentOptions);
  }

  get address(): string {
    return this.url.origin;
  }

  /** The call's answer; a non-2xx status is a VaultHttpError (sealed, denied, not found…). */
  async call(c: VaultCall): Promise<VaultResponse> {
    const { status, body } = await this.request(c);
    if (status >= 200 && status < 300) return body;
    const errors = Array.isArray(body.errors) ? body.errors.map(String) : [];
    const reason =
      status === 503 && errors.some((e) => /sealed/i.test(e))
        ? "Vault is sealed; unseal it"
        : errors.length > 0
          ? errors.join("; ").slice(0, 300)
          : `HTTP ${status}`;
    throw new VaultHttpError(`Vault ${c.method} ${c.path}: ${reason}`, status, errors);
  }

  /** The call's answer with any status; only a network fault or a timeout throws. */
  async request(c: VaultCall): Promise<VaultAnswer> {
    let attempt = 0;
    for (;;) {
      try {
        return await this.once(c);
      } catch (err) {
        const { code, reusedSocket } = err as { code?: string; reusedSocket?: boolean };
        // A refused connection never reached Vault, and a kept-alive socket that Vault had
        // already closed when we wrote to it is reset before any answer: even a write is
        // safe to retry then. Other network faults are retried only for reads.
        const unsent =
          code === "ECONNREFUSED" || (reusedSocket === true && (code === "ECONNRESET" || code === "EPIPE"));
        const retryable = code !== undefined && RETRYABLE_CODES.has(code) && (unsent || c.method === "GET");
        if (!retryable || attempt >= this.options.retries || c.signal?.aborted) throw this.describe(err, c);
        attempt++;
        await new Promise((r) => setTimeout(r, 150 * attempt));
      }
    }
  }

  private describe(err: unknown, c: VaultCall): Error {
    if (err instanceof ProviderError) return err;
    if (c.signal?.aborted && c.signal.reason instanceof ProviderError) return c.signal.reason;
    const code = (err as { code?: string }).code ?? "error";
    if (code === "VSP_TIMEOUT") {
      return new ProviderError(
        `Vault at ${this.address} did not answer ${c.method} ${c.path} within ${this.options.timeoutMs} ms`,
        "vault",
      );
    }
    return new ProviderError(
      `Vault at ${this.address} is unreachable (${code} on ${c.method} ${c.path}); check that Vault runs and VAULT_ADDR is right`,
      "vault",
    );
  }

  private once(c: VaultCall): Promise<VaultAnswer> {
    this.calls++;
    const payload = c.body === undefined ? undefined : Buffer.from(JSON.stringify(c.body));
    const headers: Record<string, string> = { ...c.headers, Accept: "application/json" };
    if (c.token) headers["X-Vault-Token"] = c.token;
    if (this.options.namespace) headers["X-Vault-Namespace"] = this.options.namespace;
    if (c.wrapSeconds) headers["X-Vault-Wrap-TTL"] = `${c.wrapSeconds}s`;
    if (payload) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = String(payload.length);
    }
    const lib = this.url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port,
          method: c.method,
          path: `/v1/${c.path}`,
          headers,
          agent: this.agent,
          signal: c.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (d: Buffer) => chunks.push(d));
          res.on("error", reject);
          res.on("end", () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: VaultResponse = {};
            if (text.trim() !== "") {
              try {
                parsed = JSON.parse(text) as VaultResponse;
              } catch {
                parsed = {};
              }
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy(Object.assign(new Error("timeout"), { code: "VSP_TIMEOUT" }));
      }, this.options.timeoutMs);
      req.on("error", (e) => {
        clearTimeout(timer);
        reject(Object.assign(e, { reusedSocket: req.reusedSocket }));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
