// One JSON line per event on stdout. Callers pass names and outcomes, never values or tokens.
// Writes to a pipe are synchronous in Node, so lines are batched into one write per event-loop
// turn instead of one system call each on the request path.
import { redactFields } from "../common/redact.js";

export type LogFn = (event: Record<string, unknown>) => void;

/** Fields whose text may come from outside (errors, reasons): redacted structurally and by pattern. */
const FREE_TEXT = new Set(["error", "detail", "reason", "why"]);

function safe(event: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(event)) {
    if (FREE_TEXT.has(k) || (typeof v === "object" && v !== null)) {
      out ??= { ...event };
      out[k] = redactFields(v);
    }
  }
  return out ?? event;
}

export function jsonLogger(write: (text: string) => void = (t) => process.stdout.write(t)): LogFn {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const text = pending.join("");
    pending = [];
    if (text) write(text);
  };
  process.once("exit", flush);
  return (event) => {
    pending.push(`${JSON.stringify({ time: new Date().toISOString(), level: "info", ...safe(event) })}\n`);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
