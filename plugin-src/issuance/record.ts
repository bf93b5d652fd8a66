// An issuance record: what vsp remembers, across managers, of one credential it minted for a
// (task, secret). Identifiers only — task, service, accessor, lease — never a value or a token.
// Records live as labels of Swarm configs, which anyone with Docker access can write, so they
// are parsed strictly and never trusted to steer Vault without a check there (see reaper.ts).
import { createHash } from "node:crypto";
import { type IssuanceState, ISSUANCE_LABELS as L, OBJECT_LABELS } from "../../common/contract.js";

export type RevokePolicy = "task-end" | "never";

export interface IssuanceRecord {
  /** Swarm config ID and version, when read from Swarm. */
  id?: string;
  version?: number;
  task: string;
  service: string;
  serviceId: string;
  secret: string;
  type: string;
  /** Accessor of the task token (absent for kv+wrap: that token is spent, only the wrap lives). */
  accessor?: string;
  /** Accessor of the response-wrapping token, when the value was wrapped. */
  wrapAccessor?: string;
  lease?: string;
  issuedAt: string;
  expiresAt?: string;
  revoke: RevokePolicy;
  state: IssuanceState;
  endedAt?: string;
  /** Why a revocation failed or is pending; plain words, no value. */
  reason?: string;
}

/** Task IDs, service IDs and accessors: what Swarm and Vault hand out, nothing more. */
const ID = /^[A-Za-z0-9._-]{1,100}$/;
const STATES: IssuanceState[] = ["live", "revoked", "failed", "kept"];

export function isSafeId(value: string | undefined): value is string {
  return value !== undefined && ID.test(value);
}

export function secretHash(secret: string): string {
  return createHash("sha256").update(secret).digest("hex").slice(0, 16);
}

/**
 * The config name of the record of (task, secret): deterministic, so a look-up is one inspect
 * by name, and Swarm itself refuses a second record for the same pair (≤ 64 characters).
 */
export function recordName(deployment: string, task: string, secret: string): string {
  const h = createHash("sha256").update(`${task}\u0000${secret}`).digest("hex").slice(0, 24);
  return `${deployment.slice(0, 32)}-issued-${h}`;
}

export function recordLabels(deployment: string, r: IssuanceRecord): Record<string, string> {
  const labels: Record<string, string> = {
    [OBJECT_LABELS.managedBy]: deployment,
    [OBJECT_LABELS.role]: "issuance",
    [L.task]: r.task,
    [L.service]: r.service,
    [L.serviceId]: r.serviceId,
    [L.secret]: r.secret,
    [L.secretHash]: secretHash(r.secret),
    [L.type]: r.type,
    [L.issuedAt]: r.issuedAt,
    [L.revoke]: r.revoke,
    [L.state]: r.state,
  };
  const optional: [string, string | undefined][] = [
    [L.accessor, r.accessor],
    [L.wrapAccessor, r.wrapAccessor],
    [L.lease, r.lease],
    [L.expiresAt, r.expiresAt],
    [L.endedAt, r.endedAt],
    [L.reason, r.reason?.slice(0, 300)],
  ];
  for (const [k, v] of optional) if (v) labels[k] = v;
  return labels;
}

/** Parses a config's labels; undefined when they are not a well-formed record of this deployment. */
export function parseRecord(
  deployment: string,
  labels: Record<string, string>,
  id?: string,
  version?: number,
): IssuanceRecord | undefined {
  if (labels[OBJECT_LABELS.managedBy] !== deployment || labels[OBJECT_LABELS.role] !== "issuance") return;
  const task = labels[L.task];
  const serviceId = labels[L.serviceId];
  const accessor = labels[L.accessor];
  const wrapAccessor = labels[L.wrapAccessor];
  const state = labels[L.state] as IssuanceState;
  const revoke = labels[L.revoke];
  if (!isSafeId(task) || !isSafeId(serviceId) || !STATES.includes(state)) return;
  if (revoke !== "task-end" && revoke !== "never") return;
  if (
    (accessor !== undefined && !isSafeId(accessor)) ||
    (wrapAccessor !== undefined && !isSafeId(wrapAccessor))
  )
    return;
  const issuedAt = labels[L.issuedAt] ?? "";
  if (Number.isNaN(Date.parse(issuedAt))) return;
  return {
    id,
    version,
    task,
    service: labels[L.service] ?? "",
    serviceId,
    secret: labels[L.secret] ?? "",
    type: labels[L.type] ?? "",
    accessor,
    wrapAccessor,
    lease: labels[L.lease],
    issuedAt,
    expiresAt: labels[L.expiresAt],
    revoke,
    state,
    endedAt: labels[L.endedAt],
    reason: labels[L.reason],
  };
}
