// The service label `vsp.refresh`: which automatic rollovers a service opted into.
import { durationMs } from "./duration.js";
import { printable } from "./printable.js";
import { LabelError } from "./secret-labels.js";

export const REFRESH_LABEL = "vsp.refresh";
/** Rollovers more often than this would keep a service rolling. */
export const MIN_EVERY_MS = 60_000;

export interface RefreshModes {
  onChange: boolean;
  beforeExpiry: boolean;
  everyMs?: number;
}

export function parseRefreshModes(raw: string): RefreshModes {
  const modes: RefreshModes = { onChange: false, beforeExpiry: false };
  const parts = raw
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0)
    throw new LabelError(`label ${REFRESH_LABEL} is empty (use on-change, before-expiry, every=DURATION)`);
  for (const part of parts) {
    if (part === "on-change") modes.onChange = true;
    else if (part === "before-expiry") modes.beforeExpiry = true;
    else if (part.startsWith("every=")) {
      const ms = durationMs(part.slice(6));
      if (ms === undefined || ms < MIN_EVERY_MS)
        throw new LabelError(
          `label ${REFRESH_LABEL}: "${printable(part)}" needs a duration of at least 1m (e.g. every=12h)`,
        );
      modes.everyMs = ms;
    } else {
      throw new LabelError(
        `label ${REFRESH_LABEL}: unknown mode "${printable(part)}" (use on-change, before-expiry, every=DURATION)`,
      );
    }
  }
  return modes;
}

export function describeModes(m: RefreshModes): string {
  return [
    ...(m.onChange ? ["on-change"] : []),
    ...(m.beforeExpiry ? ["before-expiry"] : []),
    ...(m.everyMs !== undefined ? [`every=${Math.round(m.everyMs / 1000)}s`] : []),
  ].join(",");
}
