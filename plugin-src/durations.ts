import { durationMs } from "../common/duration.js";
import { printable } from "../common/printable.js";
import { ProviderError } from "./errors.js";

/** A label's duration in whole seconds, from 1s to 10 years. */
export function parseDurationSeconds(label: string, raw: string): number {
  const ms = durationMs(raw);
  if (ms === undefined) {
    throw new ProviderError(`label ${label}: "${printable(raw)}" is not a duration (use e.g. 90s, 5m, 1h)`);
  }
  const seconds = ms / 1000;
  if (!Number.isInteger(seconds) || seconds <= 0 || seconds > 10 * 365 * 86400) {
    throw new ProviderError(
      `label ${label}: duration "${printable(raw)}" must be whole seconds from 1s to 10 years`,
    );
  }
  return seconds;
}
