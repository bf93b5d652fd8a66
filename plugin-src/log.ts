// One JSON line per event on stdout. Callers pass names and outcomes, never values or tokens.
// Writes to a pipe are synchronous in Node, so lines are batched into one write per event-loop
// turn instead of one system call each on the request path.
export type LogFn = (event: Record<string, unknown>) => void;

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
    pending.push(`${JSON.stringify({ time: new Date().toISOString(), level: "info", ...event })}\n`);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
