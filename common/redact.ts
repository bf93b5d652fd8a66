// Keeping tokens out of text: by structure (fields that carry tokens are blanked whatever their
// value looks like) and by pattern (token formats inside free text such as error messages).

const TOKEN_PATTERNS = [
  /\b(?:hvs|hvb|hvr|s|b|r)\.[A-Za-z0-9_-]{20,}/g, // Vault/OpenBao token formats
  /("?X-Vault-Token"?\s*[:=]\s*"?)[^",\s}]+/gi,
  /("?(client_token|token|secret_id|password|wrapping_token)"?\s*[:=]\s*"?)[^",\s}]+/gi,
];

/** Field names whose values are tokens or secrets, wherever they appear. */
const TOKEN_FIELDS = /^(x-vault-token|token|client_token|wrapping_token|secret_id|password|value|data)$/i;

/** Removes anything that looks like a token from free text; `known` values are removed verbatim. */
export function redactText(text: string, known: string[] = []): string {
  let out = text;
  for (const value of known) if (value && value.length >= 4) out = out.split(value).join("[redacted]");
  for (const re of TOKEN_PATTERNS) {
    out = out.replace(re, (_m, prefix?: string) =>
      typeof prefix === "string" ? `${prefix}[redacted]` : "[redacted]",
    );
  }
  return out;
}

/** A copy with token-bearing fields blanked at any depth, and free text redacted by pattern. */
export function redactFields(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redactFields(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = TOKEN_FIELDS.test(k) ? "[redacted]" : redactFields(v, depth + 1);
  return out;
}
