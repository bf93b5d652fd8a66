// The provider: a GetSecret request and its labels → Vault calls → the value for the task.
// It knows nothing of HTTP; every call for a request is made with a task token.
import type { GetSecretRequest } from "../common/contract.js";
import { AUDIT_HEADERS, MAX_VALUE_BYTES, readRoleName, tokenRoleName } from "../common/contract.js";
import { checkPath, placeholderValues, substitute } from "../common/placeholders.js";
import { parseLabels, type SecretSpec } from "../common/secret-labels.js";
import { servicePolicy, taskPolicyGlobs } from "../common/task-policies.js";
import { Deadline } from "./deadline.js";
import { ProviderError } from "./errors.js";
import { pickField, renderData } from "./formats.js";
import { type MintedRead, READ_TOKEN_TTL_SECONDS, ReadTokens } from "./read-tokens.js";
import type { Revoker } from "./revoker.js";
import type { TokenKeeper } from "./token-keeper.js";
import type { VaultHttpClient, VaultResponse } from "./vault-http.js";
import { VaultHttpError } from "./vault-http.js";

export interface ProviderSettings {
  name: string;
  tokenRole?: string;
  policyPrefix: string;
  /** Globs of the policies task tokens may carry (empty: <prefix>*). */
  taskPolicies?: string[];
  /** The token role's explicit max TTL as last read (vsp deploy --task-max-ttl): a longer vsp.ttl is refused. */
  taskMaxTtlSeconds?: () => number | undefined;
}

export interface Issued {
  value: Buffer;
  type: SecretSpec["type"];
  /** Accessor of the task token minted for this request. */
  accessor?: string;
  /** Accessor of the response-wrapping token, when the value is one. */
  wrapAccessor?: string;
  /** Lease of a dynamic secret (it lives and dies with the task token). */
  lease?: string;
  /** How long the value stays valid, when it is bounded. */
  validSeconds?: number;
  /**
   * The value is (or wraps) a credential that outlives the request: a repeat must get this one,
   * not a second. A plain kv value is not: a repeat reads it again.
   */
  credential?: boolean;
}

/** What the ledger records of a credential that outlives its request (identifiers only). */
export interface MintedCredential {
  type: SecretSpec["type"];
  /** The task token to revoke when the task ends (none for kv: its token is spent by the read). */
  accessor?: string;
  wrapAccessor?: string;
  lease?: string;
  validSeconds?: number;
  revoke: SecretSpec["revoke"];
}

/** One credential per (task, secret): asked before minting, told after. */
export interface IssuanceGuard {
  /** Throws when this task already got a credential for this secret. */
  beforeMint(req: GetSecretRequest): Promise<void>;
  issued(req: GetSecretRequest, credential: MintedCredential): void;
}

/** Per request: its deadline and every accessor minted so far (revoked if the request fails). */
interface RequestContext {
  deadline: Deadline;
  minted: string[];
}

interface Mount {
  path: string;
  version: 1 | 2;
  expires: number;
}

const AUDIT_VALUE = /^[A-Za-z0-9._-]{1,128}$/;

/** The task and service a read is for, as request headers the audit log keeps (only well-formed values). */
function auditHeaders(req: GetSecretRequest): Record<string, string> {
  const out: Record<string, string> = {};
  if (req.TaskID && AUDIT_VALUE.test(req.TaskID)) out[AUDIT_HEADERS.taskId] = req.TaskID;
  if (req.ServiceName && AUDIT_VALUE.test(req.ServiceName)) out[AUDIT_HEADERS.service] = req.ServiceName;
  return out;
}

/** TTL of token/read/write task tokens when vsp.ttl is not given (the role's max TTL still caps it). */
export const DEFAULT_TASK_TTL_SECONDS = 3600;
const MOUNT_CACHE_MS = 5 * 60_000;

export class SecretProvider {
  private readonly mounts: Mount[] = [];

  constructor(
    private readonly vault: VaultHttpClient,
    private readonly tokens: Pick<TokenKeeper, "withToken">,
    private readonly revoker: Revoker,
    private readonly guard: IssuanceGuard,
    private readonly settings: ProviderSettings,
    private readonly warn: (event: Record<string, unknown>) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** kv read tokens, one per policy (read-tokens.ts). */
  readonly readTokens = new ReadTokens(
    (policy, service) => this.mintReadToken(policy, service),
    () => this.now(),
  );

  async getSecret(req: GetSecretRequest, deadline: Deadline): Promise<Issued> {
    if (!req.ServiceName) {
      throw new ProviderError("request names no service: vsp secrets are delivered only to service tasks");
    }
    const spec = parseLabels(req.SecretLabels ?? {});
    const policy = this.servicePolicy(req.ServiceName);
    // A plain kv value leaves nothing behind (its read token is shared and ends on its own); a
    // wrapping token and every other credential outlive the request.
    const outlives = spec.type !== "kv" || spec.wrapSeconds !== undefined;
    if (outlives) await this.guard.beforeMint(req);
    const ctx: RequestContext = { deadline, minted: [] };
    try {
      const issued = await this.dispatch(spec, req, policy, ctx);
      if (issued.value.length === 0)
        throw new ProviderError("Vault returned an empty value; Swarm refuses empty secrets");
      if (issued.value.length > MAX_VALUE_BYTES) {
        throw new ProviderError(
          `value is ${issued.value.length} bytes; Swarm accepts at most ${MAX_VALUE_BYTES}`,
        );
      }
      deadline.check();
      if (outlives) {
        this.guard.issued(req, {
          type: issued.type,
          accessor: spec.type === "kv" ? undefined : issued.accessor,
          wrapAccessor: issued.wrapAccessor,
          lease: issued.lease,
          validSeconds: issued.validSeconds,
          revoke: spec.revoke,
        });
      }
      issued.credential = outlives;
      return issued;
    } catch (err) {
      await this.revokeMinted(ctx.minted, req);
      throw err;
    }
  }

  /** A request that fails leaves nothing behind: what it minted is revoked before the answer. */
  private async revokeMinted(accessors: string[], req: GetSecretRequest): Promise<void> {
    await Promise.all(
      accessors.map((accessor) =>
        this.revoker.revoke(accessor).catch((err: Error) =>
          this.warn({
            level: "warn",
            msg: "could not revoke a credential of a failed request; it ends at its TTL",
            task_id: req.TaskID,
            secret: req.SecretName,
            accessor,
            error: String(err.message).slice(0, 200),
          }),
        ),
      ),
    );
  }

  private servicePolicy(service: string): string {
    const globs = taskPolicyGlobs(this.settings.policyPrefix, this.settings.taskPolicies);
    const { policy, problem } = servicePolicy(service, this.settings.policyPrefix, globs, this.settings.name);
    if (problem) throw new ProviderError(problem, "policy");
    return policy;
  }

  /** vsp.ttl or the default, refused above the role's max instead of being capped silently. */
  private taskTtl(spec: SecretSpec): number {
    const ttl = spec.ttlSeconds ?? DEFAULT_TASK_TTL_SECONDS;
    const max = this.settings.taskMaxTtlSeconds?.();
    if (max !== undefined && ttl > max) {
      if (spec.ttlSeconds === undefined) return max;
      throw new ProviderError(
        `label vsp.ttl: ${ttl}s is above this deployment's task max TTL of ${max}s (vsp deploy --task-max-ttl)`,
      );
    }
    return ttl;
  }

  private dispatch(
    spec: SecretSpec,
    req: GetSecretRequest,
    policy: string,
    ctx: RequestContext,
  ): Promise<Issued> {
    switch (spec.type) {
      case "token":
        return this.token(spec, req, policy, ctx);
      case "kv":
        return this.kv(spec, req, policy, ctx);
      case "read":
      case "write":
        return this.logical(spec, req, policy, ctx);
    }
  }

  /** A batch token of `policy` on the read role: not stored by Vault, so it has no accessor to track. */
  private async mintReadToken(policy: string, service: string): Promise<MintedRead> {
    const role = readRoleName(this.settings.name);
    let res: VaultResponse;
    try {
      res = await this.tokens.withToken((token) =>
        this.vault.call({
          method: "POST",
          path: `auth/token/create/${role}`,
          token,
          body: {
            policies: [policy],
            display_name: `read-${service}`,
            ttl: `${READ_TOKEN_TTL_SECONDS}s`,
            no_default_policy: true,
            meta: { service, purpose: "kv-read" },
          },
        }),
      );
    } catch (err) {
      if (err instanceof VaultHttpError && err.status === 400) {
        throw new ProviderError(
          `token role ${role} refused a read token with policy "${policy}": ${err.vaultErrors.join("; ").slice(0, 200)}`,
          "policy",
        );
      }
      throw err;
    }
    const auth = res.auth as { client_token?: string; lease_duration?: number } | null | undefined;
    if (!auth?.client_token) throw new ProviderError(`token role ${role} returned no token`, "vault");
    return { token: auth.client_token, ttlSeconds: Number(auth.lease_duration) || READ_TOKEN_TTL_SECONDS };
  }

  private async mintTaskToken(
    req: GetSecretRequest,
    policy: string,
    bounds: { ttlSeconds?: number; numUses?: number },
    ctx: RequestContext,
    wrapSeconds?: number,
  ): Promise<VaultResponse> {
    const role = this.settings.tokenRole || tokenRoleName(this.settings.name);
    const body: Record<string, unknown> = {
      policies: [policy],
      display_name: req.ServiceName,
      meta: {
        service: req.ServiceName ?? "",
        service_id: req.ServiceID ?? "",
        task: req.TaskName ?? "",
        task_id: req.TaskID ?? "",
        node_id: req.NodeID ?? "",
        image: req.TaskImage ?? "",
        secret: req.SecretName ?? "",
      },
    };
    if (bounds.ttlSeconds !== undefined) body.ttl = `${bounds.ttlSeconds}s`;
    if (bounds.numUses !== undefined) body.num_uses = bounds.numUses;
    let res: VaultResponse;
    try {
      // Not aborted by the deadline: Vault could mint the token without our seeing its accessor.
      res = await this.tokens.withToken((token) =>
        this.vault.call({ method: "POST", path: `auth/token/create/${role}`, token, body, wrapSeconds }),
      );
    } catch (err) {
      if (err instanceof VaultHttpError && err.status === 400) {
        throw new ProviderError(
          `token role ${role} refused a token with policy "${policy}": ${err.vaultErrors.join("; ").slice(0, 200)}`,
          "policy",
        );
      }
      throw err;
    }
    const auth = res.auth as { accessor?: string } | null | undefined;
    const wrap = res.wrap_info as { accessor?: string; wrapped_accessor?: string } | null | undefined;
    for (const a of [auth?.accessor, wrap?.wrapped_accessor, wrap?.accessor]) if (a) ctx.minted.push(a);
    ctx.deadline.check();
    return res;
  }

  private async token(
    spec: SecretSpec,
    req: GetSecretRequest,
    policy: string,
    ctx: RequestContext,
  ): Promise<Issued> {
    const bounds = {
      ttlSeconds: this.taskTtl(spec),
      numUses: spec.numUses,
    };
    const res = await this.mintTaskToken(req, policy, bounds, ctx, spec.wrapSeconds);
    if (spec.wrapSeconds) {
      const inner = (res.wrap_info as { wrapped_accessor?: string } | undefined)?.wrapped_accessor;
      return this.wrapped(spec, res, "token", inner);
    }
    const auth = res.auth as {
      client_token: string;
      accessor: string;
      lease_duration: number;
      policies: string[];
    };
    let text: string;
    if (spec.format === "json") {
      text = JSON.stringify({
        token: auth.client_token,
        accessor: auth.accessor,
        ttl: auth.lease_duration,
        policies: auth.policies,
      });
    } else if (spec.format === "meta+json") {
      text = JSON.stringify(res);
    } else if (spec.format === "env") {
      text = `VAULT_TOKEN=${auth.client_token}\nVAULT_TOKEN_ACCESSOR=${auth.accessor}\n`;
    } else {
      text = auth.client_token;
    }
    return {
      value: ownBuffer(text),
      type: "token",
      accessor: auth.accessor,
      validSeconds: auth.lease_duration,
    };
  }

  private wrapped(spec: SecretSpec, res: VaultResponse, type: SecretSpec["type"], accessor?: string): Issued {
    const info = res.wrap_info as { token?: string; ttl?: number; accessor?: string } | undefined;
    if (!info?.token) throw new ProviderError("Vault did not wrap the response (no wrap_info)", "vault");
    const text = spec.format === "json" ? JSON.stringify(info) : info.token;
    return { value: ownBuffer(text), type, accessor, wrapAccessor: info.accessor, validSeconds: info.ttl };
  }

  private resolvePath(spec: SecretSpec, req: GetSecretRequest, fallback?: string): string {
    const raw = spec.path ?? fallback;
    if (raw === undefined) throw new ProviderError("no vsp.path given");
    return checkPath("vsp.path", substitute("vsp.path", raw, placeholderValues(req)));
  }

  private knownMount(path: string): Mount | undefined {
    const now = this.now();
    let best: Mount | undefined;
    for (const m of this.mounts) {
      if (m.expires > now && `${path}/`.startsWith(m.path) && (!best || m.path.length > best.path.length))
        best = m;
    }
    return best;
  }

  private async detectMount(path: string, taskToken: string, signal: AbortSignal): Promise<Mount> {
    let res: VaultResponse;
    try {
      res = await this.vault.call({
        method: "GET",
        path: `sys/internal/ui/mounts/${path}`,
        token: taskToken,
        signal,
      });
    } catch (err) {
      if (err instanceof VaultHttpError && (err.status === 403 || err.status === 400)) {
        throw new ProviderError(
          `no KV mount found for "${path}" that the service's policy may read`,
          "vault",
          err.status,
        );
      }
      throw err;
    }
    const data = (res.data ?? {}) as { path?: string; type?: string; options?: { version?: string } | null };
    if (!data.path || (data.type !== "kv" && data.type !== "generic")) {
      throw new ProviderError(`"${path}" is not on a KV mount (mount type ${data.type ?? "unknown"})`);
    }
    const mount: Mount = {
      path: data.path.endsWith("/") ? data.path : `${data.path}/`,
      version: data.options?.version === "2" ? 2 : 1,
      expires: this.now() + MOUNT_CACHE_MS,
    };
    this.mounts.splice(0, this.mounts.length, ...this.mounts.filter((m) => m.path !== mount.path), mount);
    return mount;
  }

  /**
   * The current KV v2 version of a kv secret's path, read as the service's tasks would read it
   * (with the read token of the service's policy). `kv: 1` for a KV v1 mount,
   * which has no versions; `pinned` when vsp.version fixes the version.
   */
  async kvVersion(
    req: GetSecretRequest,
  ): Promise<{ path: string; kv: 1 | 2; version?: number; pinned?: boolean } | undefined> {
    const spec = parseLabels(req.SecretLabels ?? {});
    if (spec.type !== "kv") return undefined;
    const policy = this.servicePolicy(req.ServiceName ?? "");
    const path = this.resolvePath(spec, req, `secret/data/${placeholderValues(req).secret ?? ""}`);
    if (spec.version !== undefined) return { path, kv: 2, pinned: true };
    const deadline = new Deadline(20_000, this.now);
    try {
      return await this.withReadToken(policy, req, deadline.signal, async (token) => {
        const mount = this.knownMount(path) ?? (await this.detectMount(path, token, deadline.signal));
        if (mount.version === 1) return { path, kv: 1 as const };
        const { res } = await this.readKv(spec, path, policy, token, deadline.signal, req);
        const version = Number((res.data as { metadata?: { version?: number } } | null)?.metadata?.version);
        return {
          path,
          kv: 2 as const,
          version: Number.isInteger(version) && version > 0 ? version : undefined,
        };
      });
    } finally {
      deadline.done();
    }
  }

  /** A kv value: read with the policy's read token (no token minted per value), wrapped by the plugin for vsp.wrap. */
  private async kv(
    spec: SecretSpec,
    req: GetSecretRequest,
    policy: string,
    ctx: RequestContext,
  ): Promise<Issued> {
    const path = this.resolvePath(spec, req, `secret/data/${placeholderValues(req).secret ?? ""}`);
    const signal = ctx.deadline.signal;
    const { res, data } = await this.withReadToken(policy, req, signal, (t) =>
      this.readKv(spec, path, policy, t, signal, req),
    );
    if (!spec.wrapSeconds) return { value: ownBuffer(renderData(spec, data, res, path)), type: "kv" };
    // Wrap the data (or the one field), as the proof of concept did: unwrapping gives the fields.
    const payload = spec.field ? { [spec.field]: pickField(data, spec.field, path) } : data;
    // The plugin wraps what the read token read: read tokens hold only the service's policy.
    const wrapped = await this.tokens.withToken((t) =>
      this.vault.call({
        method: "POST",
        path: "sys/wrapping/wrap",
        token: t,
        body: payload,
        wrapSeconds: spec.wrapSeconds,
        headers: auditHeaders(req),
      }),
    );
    const wrapAccessor = (wrapped.wrap_info as { accessor?: string } | undefined)?.accessor;
    if (wrapAccessor) ctx.minted.push(wrapAccessor);
    ctx.deadline.check();
    return this.wrapped(spec, wrapped, "kv");
  }

  /** The policy's read token for `use`; a token Vault refuses is replaced once. */
  private async withReadToken<T>(
    policy: string,
    req: GetSecretRequest,
    signal: AbortSignal,
    use: (token: string) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.readTokens.get(policy, req.ServiceName ?? "");
      try {
        return await use(token);
      } catch (err) {
        // A token Vault no longer knows (restarted with a new keyring, say) is refused as 403.
        const refused = err instanceof ProviderError && err.vaultStatus === 403;
        if (!refused || attempt > 0 || signal.aborted) throw err;
        this.readTokens.drop(policy, token);
      }
    }
  }

  /** Reads a kv path (mount found once per 5 minutes) with `token`; the data, or a clear error. */
  private async readKv(
    spec: SecretSpec,
    path: string,
    policy: string,
    token: string,
    signal: AbortSignal,
    req: GetSecretRequest,
  ): Promise<{ res: VaultResponse; data: Record<string, unknown>; version: 1 | 2 }> {
    const mount = this.knownMount(path) ?? (await this.detectMount(path, token, signal));
    let readPath = path;
    if (mount.version === 2) {
      let rest = path.slice(mount.path.length);
      if (rest.startsWith("data/")) rest = rest.slice(5);
      if (rest === "") throw new ProviderError(`vsp.path "${path}" names a mount, not a secret`);
      readPath = `${mount.path}data/${rest}${spec.version ? `?version=${spec.version}` : ""}`;
    } else if (spec.version) {
      throw new ProviderError(`vsp.version given but ${mount.path} is a KV version 1 mount`);
    }
    let res: VaultResponse;
    try {
      res = await this.vault.call({
        method: "GET",
        path: readPath,
        token,
        signal,
        headers: auditHeaders(req),
      });
    } catch (err) {
      throw explainRead(err, path, policy);
    }
    const outer = (res.data ?? {}) as Record<string, unknown>;
    const data = (mount.version === 2 ? outer.data : outer) as Record<string, unknown> | null;
    if (!data) {
      throw new ProviderError(
        `no data at ${path}${spec.version ? ` version ${spec.version}` : ""} (deleted?)`,
      );
    }
    return { res, data, version: mount.version };
  }

  /** The credential ends with the first of: its token, its lease, a certificate's expiration. */
  private validSeconds(tokenSeconds: number, res: VaultResponse, data: Record<string, unknown>): number {
    let valid = tokenSeconds;
    const lease = Number(res.lease_duration);
    if (Number.isFinite(lease) && lease > 0) valid = Math.min(valid, lease);
    const expiration = Number(data.expiration);
    if (Number.isFinite(expiration) && expiration > 0)
      valid = Math.min(valid, Math.max(0, Math.floor(expiration - this.now() / 1000)));
    return valid;
  }

  private async logical(
    spec: SecretSpec,
    req: GetSecretRequest,
    policy: string,
    ctx: RequestContext,
  ): Promise<Issued> {
    const path = this.resolvePath(spec, req);
    const values = placeholderValues(req);
    const body: Record<string, string> = {};
    for (const [k, v] of Object.entries(spec.data)) body[k] = substitute(`vsp.data.${k}`, v, values);
    // Leases of dynamic secrets live as long as the token that created them.
    const minted = await this.mintTaskToken(req, policy, { ttlSeconds: this.taskTtl(spec) }, ctx);
    const auth = minted.auth as { client_token: string; accessor: string; lease_duration: number };
    let res: VaultResponse;
    try {
      // A read may be cut by the deadline; a write (which may create something) runs to its end.
      res = await this.vault.call({
        method: spec.type === "write" ? "POST" : "GET",
        path,
        token: auth.client_token,
        body: spec.type === "write" ? body : undefined,
        wrapSeconds: spec.wrapSeconds,
        signal: spec.type === "write" ? undefined : ctx.deadline.signal,
      });
    } catch (err) {
      throw explainRead(err, path, policy);
    }
    const wrapAccessor = (res.wrap_info as { accessor?: string } | undefined)?.accessor;
    if (wrapAccessor) ctx.minted.push(wrapAccessor);
    ctx.deadline.check();
    if (spec.wrapSeconds) return this.wrapped(spec, res, spec.type, auth.accessor);
    const data = (res.data ?? {}) as Record<string, unknown>;
    const text = renderData(spec, data, res, path);
    return {
      value: ownBuffer(text),
      type: spec.type,
      accessor: auth.accessor,
      lease: typeof res.lease_id === "string" && res.lease_id ? res.lease_id : undefined,
      validSeconds: this.validSeconds(auth.lease_duration, res, data),
    };
  }
}

/**
 * The value in a buffer of its own: Buffer.from() takes small strings from a shared 8 KiB pool,
 * so one remembered value would keep a whole slab (and other requests' bytes) alive.
 */
function ownBuffer(text: string): Buffer {
  const buf = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  buf.write(text);
  return buf;
}

function explainRead(err: unknown, path: string, policy: string): unknown {
  if (!(err instanceof VaultHttpError)) return err;
  if (err.status === 403)
    return new ProviderError(`policy "${policy}" does not allow this request on ${path}`, "policy", 403);
  if (err.status === 404) return new ProviderError(`nothing at ${path} in Vault`, "vault");
  return err;
}
