// The one duration parser: labels (vsp.ttl, vsp.wrap) and flags (--grace, --task-max-ttl).
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "5m", "1h30m", "2d", "250ms" or a bare number of seconds → milliseconds; undefined if not a duration. */
export function durationMs(raw: string): number | undefined {
  const text = raw.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  if (!/^(\d{1,9}(ms|s|m|h|d))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}
