// Renders Vault data into the bytes a task receives, per vsp.format / vsp.field.
import { printable } from "../common/printable.js";
import type { SecretSpec } from "../common/secret-labels.js";
import { ProviderError } from "./errors.js";

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function asText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function pickField(data: Record<string, unknown>, field: string, where: string): unknown {
  const value = data[field];
  if (value === undefined || value === null) {
    const keys = Object.keys(data);
    throw new ProviderError(
      `field "${printable(field)}" not found at ${where} (fields there: ${keys.length ? keys.slice(0, 20).join(", ") : "none"})`,
    );
  }
  return value;
}

export function renderData(
  spec: SecretSpec,
  data: Record<string, unknown>,
  whole: unknown,
  where: string,
): string {
  switch (spec.format) {
    case "plain":
      return asText(pickField(data, spec.field ?? "value", where));
    case "json":
      return JSON.stringify(spec.field ? pickField(data, spec.field, where) : data);
    case "meta+json":
      return JSON.stringify(whole);
    case "env": {
      const entries = spec.field
        ? [[spec.field, pickField(data, spec.field, where)] as const]
        : Object.entries(data);
      if (entries.length === 0) throw new ProviderError(`no fields at ${where} to render as env`);
      return entries
        .map(([key, value]) => {
          if (!ENV_KEY.test(key)) {
            throw new ProviderError(`field "${printable(key)}" at ${where} is not a valid env variable name`);
          }
          const text = asText(value);
          if (/[\r\n\0]/.test(text)) {
            throw new ProviderError(
              `field "${key}" at ${where} holds a line break; use format json instead of env`,
            );
          }
          return `${key}=${text}\n`;
        })
        .join("");
    }
  }
}
