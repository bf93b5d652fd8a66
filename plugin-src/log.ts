// One JSON line per event on stdout. Callers pass names and outcomes, never values or tokens.
export type LogFn = (event: Record<string, unknown>) => void;

export function jsonLogger(write: (line: string) => void = (l) => process.stdout.write(l)): LogFn {
  return (event) => {
    write(`${JSON.stringify({ time: new Date().toISOString(), level: "info", ...event })}\n`);
  };
}
