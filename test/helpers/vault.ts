// Direct OpenBao calls for tests: set up data and check what the plugin delivered.

import type { Ground } from "../ground/ground.js";
import { baoApi } from "../ground/openbao.js";

export async function bao(ground: Ground, method: string, path: string, body?: unknown, token?: string) {
  return baoApi(ground.vaultAddr, method, path, token ?? ground.rootToken, body);
}

export async function must(ground: Ground, method: string, path: string, body?: unknown, token?: string) {
  const res = await bao(ground, method, path, body, token);
  if (res.status >= 300)
    throw new Error(
      `OpenBao ${method} ${path}: ${res.status} ${JSON.stringify(res.json.errors ?? res.json)}`,
    );
  return res.json;
}

export async function writePolicy(ground: Ground, name: string, rules: string): Promise<void> {
  await must(ground, "PUT", `sys/policies/acl/${name}`, { policy: rules });
}

export async function kvPut(ground: Ground, path: string, data: Record<string, unknown>): Promise<number> {
  const res = await must(ground, "POST", `secret/data/${path}`, { data });
  return Number((res.data as { version: number }).version);
}

export async function lookupToken(ground: Ground, token: string) {
  return bao(ground, "POST", "auth/token/lookup", { token });
}
