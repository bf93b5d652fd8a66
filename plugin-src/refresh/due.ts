// When a service with `vsp.refresh` should roll next. Pure: the refresher gathers the facts.
import type { RefreshModes } from "../../common/refresh-modes.js";

export interface DueFacts {
  modes: RefreshModes;
  now: number;
  /** Last rollout this deployment made, else when the service was created. */
  lastRolloutAt: number;
  /** Issued-at and lifetime of each live credential of the service's running tasks. */
  credentials: { issuedAt: number; lifetimeMs: number }[];
  /** KV paths whose version moved since it was last seen. */
  changedPaths: string[];
  /** A per-service offset added to every=, so services deployed together do not roll together. */
  splayMs?: number;
}

export interface Due {
  due: boolean;
  why?: string;
  /** The earliest time a time-based mode makes it due (for status). */
  nextAt?: number;
}

/** A credential is renewed by a rollout at two thirds of its life. */
export const EXPIRY_FRACTION = 2 / 3;

export function whenDue(f: DueFacts): Due {
  if (f.modes.onChange && f.changedPaths.length > 0)
    return { due: true, why: `new KV version at ${f.changedPaths.join(", ")}` };
  const candidates: { at: number; why: string }[] = [];
  if (f.modes.beforeExpiry && f.credentials.length > 0) {
    const at = Math.min(...f.credentials.map((c) => c.issuedAt + c.lifetimeMs * EXPIRY_FRACTION));
    candidates.push({ at, why: "a delivered credential is two thirds through its life" });
  }
  if (f.modes.everyMs !== undefined)
    candidates.push({
      at: f.lastRolloutAt + f.modes.everyMs + Math.min(f.splayMs ?? 0, f.modes.everyMs / 10),
      why: `every ${Math.round(f.modes.everyMs / 1000)}s`,
    });
  if (candidates.length === 0) return { due: false };
  const first = candidates.reduce((a, b) => (b.at < a.at ? b : a));
  return first.at <= f.now
    ? { due: true, why: first.why, nextAt: first.at }
    : { due: false, nextAt: first.at };
}

/** A stable offset in [0, maxMs) from the service ID. */
export function splayFor(serviceId: string, maxMs: number): number {
  let h = 0;
  for (const ch of serviceId) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % Math.max(1, maxMs);
}
