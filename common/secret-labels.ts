// Secret labels → a validated SecretSpec. Pure: no Vault, no HTTP. The plugin parses every
// request with it and `vsp check` parses stack files with it, so both give the same verdict.
import { LABEL_PREFIX, LEGACY_LABEL_PREFIX } from "./contract.js";
import { durationMs } from "./duration.js";
import { printable } from "./printable.js";

/** A secret's labels or path are wrong: the message names the label and is safe to show. */
export class LabelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LabelError";
  }
}

/** A label's duration in whole seconds, from 1s to 10 years. */
export function parseDurationSeconds(label: string, raw: string): number {
  const ms = durationMs(raw);
  if (ms === undefined) {
    throw new LabelError(`label ${label}: "${printable(raw)}" is not a duration (use e.g. 90s, 5m, 1h)`);
  }
  const seconds = ms / 1000;
  if (!Number.isInteger(seconds) || seconds <= 0 || seconds > 10 * 365 * 86400) {
    throw new LabelError(
      `label ${label}: duration "${printable(raw)}" must be whole seconds from 1s to 10 years`,
    );
  }
  return seconds;
}

export type SecretType = "kv" | "token" | "read" | "write";
export type SecretFormat = "plain" | "json" | "meta+json" | "env";

export interface SecretSpec {
  type: SecretType;
  /** Raw path, placeholders not yet substituted; undefined = the type's default. */
  path?: string;
  field?: string;
  format: SecretFormat;
  version?: number;
  /** Wrapping TTL in seconds, or undefined for no wrapping. */
  wrapSeconds?: number;
  ttlSeconds?: number;
  numUses?: number;
  /** task-end (default): revoked when its task ends; never: left to its TTL (vsp.revoke). */
  revoke: "task-end" | "never";
  data: Record<string, string>;
}

export const DEFAULT_WRAP_SECONDS = 300;
/** A wrapping token is meant to be unwrapped as the task starts: a day is plenty. */
export const MAX_WRAP_SECONDS = 86_400;
const MAX_LABELS = 64;
const MAX_LABEL_VALUE = 4096;

const TYPES: Record<string, SecretType> = {
  kv: "kv",
  token: "token",
  vault_token: "token",
  read: "read",
  write: "write",
};
const FORMATS: SecretFormat[] = ["plain", "json", "meta+json", "env"];
const SIMPLE_KEYS = new Set([
  "type",
  "path",
  "field",
  "format",
  "version",
  "wrap",
  "ttl",
  "num-uses",
  "period",
  "revoke",
]);
/** The proof of concept's `json: true|false`, accepted under its own prefix only. */
const LEGACY_ONLY_KEYS = new Set(["json"]);

/** Collects the `vsp.` (or legacy-prefixed) labels; other labels (e.g. com.docker.stack.namespace) are not ours. */
function ownLabels(labels: Record<string, string>): Map<string, string> {
  const own = new Map<string, string>();
  let count = 0;
  for (const [key, value] of Object.entries(labels)) {
    const prefix = key.startsWith(LABEL_PREFIX)
      ? LABEL_PREFIX
      : key.startsWith(LEGACY_LABEL_PREFIX)
        ? LEGACY_LABEL_PREFIX
        : undefined;
    if (!prefix) continue;
    if (++count > MAX_LABELS) throw new LabelError(`more than ${MAX_LABELS} vsp labels`);
    const short = key.slice(prefix.length);
    if (LEGACY_ONLY_KEYS.has(short) && prefix !== LEGACY_LABEL_PREFIX) {
      throw new LabelError(`unknown label ${printable(key)} (use ${LABEL_PREFIX}format)`);
    }
    if (value.length > MAX_LABEL_VALUE) {
      throw new LabelError(`label ${printable(key)} is longer than ${MAX_LABEL_VALUE} characters`);
    }
    const previous = own.get(short);
    if (previous !== undefined && previous !== value) {
      throw new LabelError(
        `labels ${LABEL_PREFIX}${printable(short)} and ${LEGACY_LABEL_PREFIX}${printable(short)} disagree`,
      );
    }
    own.set(short, value);
  }
  return own;
}

export function parseLabels(labels: Record<string, string>): SecretSpec {
  const own = ownLabels(labels);
  const data: Record<string, string> = {};
  for (const [key, value] of own) {
    if (key.startsWith("data.")) {
      const field = key.slice(5);
      if (!/^[A-Za-z0-9_.-]{1,128}$/.test(field)) {
        throw new LabelError(`label ${LABEL_PREFIX}${printable(key)}: body field name is not [A-Za-z0-9_.-]`);
      }
      data[field] = value;
    } else if (!SIMPLE_KEYS.has(key) && !LEGACY_ONLY_KEYS.has(key)) {
      throw new LabelError(
        `unknown label ${LABEL_PREFIX}${printable(key)} (known: ${[...SIMPLE_KEYS].join(", ")}, data.<key>)`,
      );
    }
  }

  const rawType = own.get("type") ?? "kv";
  const type = TYPES[rawType];
  if (!type)
    throw new LabelError(
      `label ${LABEL_PREFIX}type: "${printable(rawType)}" is not kv, token, read or write`,
    );

  const legacyJson = own.get("json");
  if (legacyJson !== undefined && !["true", "false"].includes(legacyJson)) {
    throw new LabelError(`label ${LEGACY_LABEL_PREFIX}json: "${printable(legacyJson)}" is not true or false`);
  }
  if (legacyJson !== undefined && own.has("format")) {
    throw new LabelError(`labels ${LEGACY_LABEL_PREFIX}json and ${LABEL_PREFIX}format cannot both be given`);
  }
  const rawFormat = own.get("format") ?? (legacyJson === "true" ? "json" : "plain");
  if (!FORMATS.includes(rawFormat as SecretFormat)) {
    throw new LabelError(
      `label ${LABEL_PREFIX}format: "${printable(rawFormat)}" is not ${FORMATS.join(", ")}`,
    );
  }
  const spec: SecretSpec = { type, format: rawFormat as SecretFormat, revoke: "task-end", data };

  const path = own.get("path");
  if (path !== undefined) spec.path = path;
  const field = own.get("field");
  if (field !== undefined) {
    if (field === "") throw new LabelError(`label ${LABEL_PREFIX}field is empty`);
    spec.field = field;
  }

  const version = own.get("version");
  if (version !== undefined) {
    if (type !== "kv") throw new LabelError(`label ${LABEL_PREFIX}version applies only to type kv`);
    if (!/^\d{1,9}$/.test(version) || Number(version) < 1) {
      throw new LabelError(`label ${LABEL_PREFIX}version: "${printable(version)}" is not a positive integer`);
    }
    spec.version = Number(version);
  }

  const wrap = own.get("wrap");
  if (wrap !== undefined && wrap !== "false") {
    spec.wrapSeconds =
      wrap === "true" ? DEFAULT_WRAP_SECONDS : parseDurationSeconds(`${LABEL_PREFIX}wrap`, wrap);
    if (spec.wrapSeconds > MAX_WRAP_SECONDS) {
      throw new LabelError(
        `label ${LABEL_PREFIX}wrap: "${printable(wrap)}" is longer than 24h; a wrapping token is meant to be unwrapped when the task starts`,
      );
    }
    if (spec.field !== undefined && type !== "kv") {
      throw new LabelError(
        `label ${LABEL_PREFIX}field cannot be combined with ${LABEL_PREFIX}wrap for type ${type}: the wrapped response is delivered whole`,
      );
    }
    if (spec.format !== "plain" && spec.format !== "json") {
      throw new LabelError(
        `label ${LABEL_PREFIX}wrap allows format plain (the wrapping token) or json (wrap info)`,
      );
    }
  }

  const ttl = own.get("ttl");
  if (ttl !== undefined) {
    if (type === "kv") throw new LabelError(`label ${LABEL_PREFIX}ttl does not apply to type kv`);
    spec.ttlSeconds = parseDurationSeconds(`${LABEL_PREFIX}ttl`, ttl);
  }
  if (own.has("period")) {
    throw new LabelError(
      `label ${LABEL_PREFIX}period is not supported: Vault lets only sudo callers set a period when creating a token; use ${LABEL_PREFIX}ttl (the token role's max TTL bounds it)`,
    );
  }
  const numUses = own.get("num-uses");
  if (numUses !== undefined) {
    if (type !== "token") throw new LabelError(`label ${LABEL_PREFIX}num-uses applies only to type token`);
    if (!/^\d{1,6}$/.test(numUses)) {
      throw new LabelError(`label ${LABEL_PREFIX}num-uses: "${printable(numUses)}" is not an integer ≥ 0`);
    }
    spec.numUses = Number(numUses);
  }
  const revoke = own.get("revoke");
  if (revoke !== undefined) {
    if (revoke !== "task-end" && revoke !== "never") {
      throw new LabelError(`label ${LABEL_PREFIX}revoke: "${printable(revoke)}" is not task-end or never`);
    }
    if (type === "kv") {
      throw new LabelError(
        `label ${LABEL_PREFIX}revoke does not apply to type kv (its task token is spent by the read)`,
      );
    }
    spec.revoke = revoke;
  }
  if (type !== "write" && Object.keys(data).length > 0) {
    throw new LabelError(`labels ${LABEL_PREFIX}data.* apply only to type write`);
  }
  if ((type === "read" || type === "write") && spec.path === undefined) {
    throw new LabelError(`type ${type} needs label ${LABEL_PREFIX}path`);
  }
  if (type === "token" && spec.path !== undefined) {
    throw new LabelError(`label ${LABEL_PREFIX}path does not apply to type token`);
  }
  return spec;
}
