// A service's rollover state, kept in the labels of one Swarm config so a new leader carries on
// and `vsp status` can show it. Read back strictly: labels anyone can write are untrusted.
import { REFRESH_STATE_LABELS as L, OBJECT_LABELS } from "./contract.js";

export interface RolloutInFlight {
  startedAt: string;
  swaps: { oldId: string; oldName: string; newId: string; newName: string; target: string }[];
}

export interface RefreshState {
  id?: string;
  version?: number;
  serviceId: string;
  service: string;
  modes: string;
  lastAt?: string;
  outcome?: "completed" | "failed" | "rolling" | "refused";
  reason?: string;
  nextAt?: string;
  /** KV v2 version last seen per path (on-change). */
  kvVersions: Record<string, number>;
  rollout?: RolloutInFlight;
}

const ID = /^[a-z0-9]{10,64}$/;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const OUTCOMES = new Set(["completed", "failed", "rolling", "refused"]);

export function stateName(deployment: string, serviceId: string): string {
  return `${deployment}-refresh-${serviceId}`.slice(0, 64);
}

export function stateLabels(deployment: string, s: RefreshState): Record<string, string> {
  const labels: Record<string, string> = {
    [OBJECT_LABELS.managedBy]: deployment,
    [OBJECT_LABELS.role]: "refresh-state",
    [L.serviceId]: s.serviceId,
    [L.service]: s.service,
    [L.modes]: s.modes,
    [L.kvVersions]: JSON.stringify(s.kvVersions),
  };
  if (s.lastAt) labels[L.lastAt] = s.lastAt;
  if (s.outcome) labels[L.outcome] = s.outcome;
  if (s.reason) labels[L.reason] = s.reason.slice(0, 500);
  if (s.nextAt) labels[L.nextAt] = s.nextAt;
  if (s.rollout) labels[L.rollout] = JSON.stringify(s.rollout);
  return labels;
}

const isDate = (v: unknown): v is string => typeof v === "string" && !Number.isNaN(Date.parse(v));

function parseRollout(raw: string | undefined): RolloutInFlight | undefined {
  if (!raw) return undefined;
  try {
    const r = JSON.parse(raw) as RolloutInFlight;
    if (!isDate(r.startedAt) || !Array.isArray(r.swaps) || r.swaps.length === 0 || r.swaps.length > 64)
      return undefined;
    for (const w of r.swaps) {
      if (!ID.test(w.oldId) || !ID.test(w.newId) || !NAME.test(w.oldName) || !NAME.test(w.newName))
        return undefined;
      if (typeof w.target !== "string" || w.target.length > 256) return undefined;
    }
    return { startedAt: r.startedAt, swaps: r.swaps.map((w) => ({ ...w })) };
  } catch {
    return undefined;
  }
}

function parseVersions(raw: string | undefined): Record<string, number> {
  try {
    const v = JSON.parse(raw ?? "{}") as Record<string, unknown>;
    const out: Record<string, number> = {};
    for (const [k, n] of Object.entries(v ?? {}))
      if (k.length <= 512 && Number.isInteger(n) && (n as number) > 0) out[k] = n as number;
    return out;
  } catch {
    return {};
  }
}

/** The state, or undefined when the labels are not a well-formed state of this deployment. */
export function parseState(
  deployment: string,
  labels: Record<string, string>,
  id?: string,
  version?: number,
): RefreshState | undefined {
  if (labels[OBJECT_LABELS.managedBy] !== deployment || labels[OBJECT_LABELS.role] !== "refresh-state")
    return;
  const serviceId = labels[L.serviceId] ?? "";
  const service = labels[L.service] ?? "";
  if (!ID.test(serviceId) || !NAME.test(service)) return;
  const outcome = labels[L.outcome];
  return {
    id,
    version,
    serviceId,
    service,
    modes: (labels[L.modes] ?? "").slice(0, 200),
    lastAt: isDate(labels[L.lastAt]) ? labels[L.lastAt] : undefined,
    outcome: outcome && OUTCOMES.has(outcome) ? (outcome as RefreshState["outcome"]) : undefined,
    reason: labels[L.reason]?.slice(0, 500),
    nextAt: isDate(labels[L.nextAt]) ? labels[L.nextAt] : undefined,
    kvVersions: parseVersions(labels[L.kvVersions]),
    rollout: parseRollout(labels[L.rollout]),
  };
}
