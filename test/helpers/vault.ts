// Direct OpenBao calls for tests: set up data and check what the plugin delivered.

import fs from "node:fs";
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

export interface LiveToken {
  accessor: string;
  role?: string;
  path?: string;
  meta: Record<string, string>;
  policies: string[];
}

/** Every live token in OpenBao that satisfies `keep` (listed by accessor with the root token). */
export async function liveTokens(
  ground: Ground,
  keep: (t: LiveToken) => boolean = () => true,
): Promise<LiveToken[]> {
  const res = await must(ground, "LIST", "auth/token/accessors");
  const accessors = ((res.data as { keys?: string[] } | undefined)?.keys ?? []) as string[];
  const found: LiveToken[] = [];
  for (let i = 0; i < accessors.length; i += 32) {
    const batch = await Promise.all(
      accessors
        .slice(i, i + 32)
        .map((accessor) => bao(ground, "POST", "auth/token/lookup-accessor", { accessor })),
    );
    for (const r of batch) {
      if (r.status !== 200) continue; // expired meanwhile
      const d = r.json.data as {
        accessor: string;
        role?: string;
        path?: string;
        meta?: Record<string, string> | null;
        policies?: string[];
      };
      const t = {
        accessor: d.accessor,
        role: d.role,
        path: d.path,
        meta: d.meta ?? {},
        policies: d.policies ?? [],
      };
      if (keep(t)) found.push(t);
    }
  }
  return found;
}

/** Task tokens per "task/secret" key, for the tasks of these services. */
export async function taskTokensByTask(
  ground: Ground,
  services: string[],
): Promise<Map<string, LiveToken[]>> {
  const by = new Map<string, LiveToken[]>();
  for (const t of await liveTokens(ground, (t) => services.includes(t.meta.service ?? ""))) {
    const key = `${t.meta.task_id}/${t.meta.secret}`;
    by.set(key, [...(by.get(key) ?? []), t]);
  }
  return by;
}

/** Lease IDs under a prefix (e.g. "pki-life/issue/web/"), as OpenBao lists them. */
export async function leasesUnder(ground: Ground, prefix: string): Promise<string[]> {
  const res = await bao(ground, "LIST", `sys/leases/lookup/${prefix}`);
  if (res.status === 404) return [];
  if (res.status !== 200) throw new Error(`OpenBao LIST sys/leases/lookup/${prefix}: ${res.status}`);
  return ((res.json.data as { keys?: string[] }).keys ?? []).map((k) => `${prefix}${k}`);
}

/** What OpenBao's raw audit log says was issued: task-token mints per "task/secret", certificates per common name. */
export function issuedFromAudit(
  auditLog: string,
  role: string,
  pkiIssuePath: string,
): {
  mints: Map<string, number>;
  certs: Map<string, number>;
} {
  const mints = new Map<string, number>();
  const certs = new Map<string, number>();
  const text = fs.existsSync(auditLog) ? fs.readFileSync(auditLog, "utf8") : "";
  for (const line of text.split("\n")) {
    if (!line.includes('"type":"response"')) continue;
    let e: { error?: string; request?: { path?: string; data?: Record<string, unknown> } };
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (e.error) continue;
    const data = e.request?.data ?? {};
    if (e.request?.path === `auth/token/create/${role}`) {
      const meta = (data.meta ?? {}) as Record<string, string>;
      const key = `${meta.task_id}/${meta.secret}`;
      mints.set(key, (mints.get(key) ?? 0) + 1);
    } else if (e.request?.path === pkiIssuePath) {
      const cn = String(data.common_name);
      certs.set(cn, (certs.get(cn) ?? 0) + 1);
    }
  }
  return { mints, certs };
}
