// Renders untrusted text (user input, Swarm labels, Vault errors) for a message or a terminal:
// bounded, with control characters escaped so none reaches a log or the operator's terminal.
export function printable(raw: string, max = 80): string {
  const cut = raw.length > max ? `${raw.slice(0, max)}…` : raw;
  return cut.replace(
    /[\u0000-\u001f\u007f-\u009f"\\]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Like printable, for a line of a terminal table: quotes and backslashes stay as they are. */
export function terminalText(raw: string, max = 400): string {
  const cut = raw.length > max ? `${raw.slice(0, max)}…` : raw;
  return cut.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
