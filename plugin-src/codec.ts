// Request/response codec of the secretprovider protocol: strict on types, lenient on unknown keys.
import type { GetSecretRequest, GetSecretResponse } from "../common/contract.js";

export class CodecError extends Error {}

const STRING_KEYS = [
  "SecretName",
  "ServiceHostname",
  "ServiceID",
  "ServiceName",
  "TaskID",
  "TaskName",
  "TaskImage",
  "NodeID",
] as const;
const MAP_KEYS = ["SecretLabels", "ServiceLabels"] as const;

export function decodeGetSecret(body: Buffer): GetSecretRequest {
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
  } catch {
    throw new CodecError("request body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CodecError("request body is not a JSON object");
  }
  const raw = parsed as Record<string, unknown>;
  const req: GetSecretRequest = {};
  for (const key of STRING_KEYS) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") throw new CodecError(`request key ${key} must be a string`);
    req[key] = v;
  }
  for (const key of MAP_KEYS) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== "object" || Array.isArray(v))
      throw new CodecError(`request key ${key} must be an object`);
    const map: Record<string, string> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (typeof val !== "string") throw new CodecError(`request key ${key}: label values must be strings`);
      map[k] = val;
    }
    req[key] = map;
  }
  if (raw.ServiceEndpointSpec !== undefined) req.ServiceEndpointSpec = raw.ServiceEndpointSpec;
  return req;
}

export function encodeValue(value: Buffer): GetSecretResponse {
  return { Value: value.toString("base64"), DoNotReuse: true };
}

export function encodeError(message: string): GetSecretResponse {
  return { Err: message || "vsp: unknown error", DoNotReuse: true };
}
