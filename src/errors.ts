// Errors the CLI shows to users: what failed, why, and what to do. Mapped to exit codes in one place (cli.ts).

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

const TOKEN_PATTERNS = [
  /\b(hvs|hvb|hvr|s|b|r)\.[A-Za-z0-9_-]{20,}/g, // Vault/OpenBao token formats
  /("?X-Vault-Token"?\s*[:=]\s*"?)[^",\s}]+/gi,
  /("?(client_token|token|accessor|secret_id|password)"?\s*[:=]\s*"?)[^",\s}]+/gi,
];

/** Removes anything that looks like a token from a message (HTTP client errors embed request headers). */
export function redact(text: string, known: string[] = []): string {
  let out = text;
  for (const value of known) if (value && value.length >= 4) out = out.split(value).join("[redacted]");
  for (const re of TOKEN_PATTERNS) {
    out = out.replace(re, (_m, prefix?: string) =>
      typeof prefix === "string" ? `${prefix}[redacted]` : "[redacted]",
    );
  }
  return out;
}

/** A short, redacted description of any thrown value (never its config, headers or stack). */
export function describe(err: unknown): string {
  if (err instanceof VspError) return err.message;
  const e = err as { message?: string; code?: string; statusCode?: number; json?: { message?: string } };
  const msg = e?.json?.message ?? e?.message ?? String(err);
  return redact(String(msg)).split("\n")[0]!.slice(0, 400);
}
