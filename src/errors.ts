// Errors the CLI shows to users: what failed, why, and what to do. Mapped to exit codes in one place (cli.ts).
import { redactText } from "../common/redact.js";

export class VspError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "VspError";
  }
}

export class UsageError extends VspError {
  constructor(message: string, hint?: string) {
    super(message, hint, 2);
    this.name = "UsageError";
  }
}

/** Removes anything that looks like a token from a message (HTTP client errors embed request headers). */
export function redact(text: string, known: string[] = []): string {
  return redactText(text, known);
}

/** A short, redacted description of any thrown value (never its config, headers or stack). */
export function describe(err: unknown): string {
  if (err instanceof VspError) return err.message;
  const e = err as { message?: string; code?: string; statusCode?: number; json?: { message?: string } };
  const msg = e?.json?.message ?? e?.message ?? String(err);
  return redact(String(msg)).split("\n")[0]!.slice(0, 400);
}
