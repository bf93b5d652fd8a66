import { printable } from "../common/printable.js";
import { ProviderError } from "./errors.js";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses `90s`, `5m`, `1h30m`, `2d` or a bare number of seconds into whole seconds. */
export function parseDurationSeconds(label: string, raw: string): number {
  const text = raw.trim();
  if (/^\d{1,9}$/.test(text)) return check(label, raw, Number(text));
  if (!/^(\d{1,9}[smhd])+$/.test(text)) {
    throw new ProviderError(`label ${label}: "${printable(raw)}" is not a duration (use e.g. 90s, 5m, 1h)`);
  }
  let total = 0;
  for (const m of text.matchAll(/(\d+)([smhd])/g)) total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  return check(label, raw, total);
}

function check(label: string, raw: string, seconds: number): number {
  if (seconds <= 0 || seconds > 10 * 365 * 86400) {
    throw new ProviderError(`label ${label}: duration "${printable(raw)}" must be between 1s and 10 years`);
  }
  return seconds;
}
