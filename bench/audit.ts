// Measurement 5: Vault calls per GetSecret, counted from OpenBao's side with a file audit device.
// The bench asks for its own device (PUT sys/audit/bench) and removes it afterwards. OpenBao 2.x
// refuses audit devices through the API unless its config allows it; the ground's dev server then
// has a config-declared file device of its own (state.bao.auditLog), and the bench reads that one
// from the byte offset where the measurement starts. Only paths are read: never tokens.
import fs from "node:fs";
import path from "node:path";
import type { Ground } from "../test/ground/ground.js";
import { waitFor } from "../test/ground/process.js";
import { bao, must } from "../test/helpers/vault.js";
import { KINDS, type Kind, type Sides, viaPlugin } from "./workload.js";

export interface AuditCount {
  kind: Kind;
  requests: number;
  /** Audit "request" entries between the markers, per request. */
  callsPerRequest: number;
  /** Entries per path (the whole batch). */
  byPath: Record<string, number>;
  /** Calls off the request path seen meanwhile (token renewal, the revocation loop), not counted above. */
  offPath: number;
}

export interface AuditResult {
  /** Which audit device the counts come from. */
  device: string;
  /** Why not the bench's own device, when OpenBao refused it. */
  note?: string;
  counts: AuditCount[];
}

// Off the request path: the plugin's token renewal, and the leader's revocation loop (the bench's
// requests name tasks that do not exist, so their tokens are revoked as soon as it passes).
const OFF_PATH = new Set([
  "auth/token/renew-self",
  "auth/token/lookup-accessor",
  "auth/token/revoke-accessor",
]);
const markerPath = (name: string) => `secret/data/bench-marker/${name}`;

async function marker(ground: Ground, name: string): Promise<void> {
  // A read of a path that does not exist: audited with its path, changes nothing.
  await bao(ground, "GET", markerPath(name));
}

interface AuditLine {
  type?: string;
  request?: { path?: string };
}

async function openDevice(
  ground: Ground,
): Promise<{ file: string; device: string; own: boolean; note?: string }> {
  const file = path.join(ground.state.root, "audit.log");
  const res = await bao(ground, "PUT", "sys/audit/bench", { type: "file", options: { file_path: file } });
  if (res.status < 300) return { file, device: "sys/audit/bench (enabled by the bench)", own: true };
  const declared = (ground.state.bao as { auditLog?: string }).auditLog;
  if (declared && fs.existsSync(declared)) {
    return {
      file: declared,
      device: "the ground's config-declared file audit device",
      own: false,
      note: `OpenBao refused PUT sys/audit/bench (${res.status}): ${String(
        (res.json.errors as string[] | undefined)?.[0] ?? "",
      ).slice(0, 120)}`,
    };
  }
  throw new Error(`OpenBao refused sys/audit/bench (${res.status}) and the ground declares no audit log`);
}

export async function countVaultCalls(ground: Ground, s: Sides, n: number): Promise<AuditResult> {
  const { file, device, own, note } = await openDevice(ground);
  const offset = fs.statSync(file).size;
  try {
    // The mount cache of the plugin is warm after this (kv detects the mount once per 5 min).
    await viaPlugin(s, "kv");
    for (const kind of KINDS) {
      await marker(ground, `${kind}-start`);
      for (let i = 0; i < n; i++) await viaPlugin(s, kind);
      await marker(ground, `${kind}-end`);
    }
  } finally {
    if (own) await must(ground, "DELETE", "sys/audit/bench");
  }
  const last = markerPath(`${KINDS.at(-1)}-end`);
  const text = await waitFor("the audit log to hold the last marker", async () => {
    const fd = fs.openSync(file, "r");
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(size - offset);
      fs.readSync(fd, buf, 0, buf.length, offset);
      const t = buf.toString("utf8");
      return t.includes(last) ? t : undefined;
    } finally {
      fs.closeSync(fd);
    }
  });
  const paths: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as AuditLine;
      if (entry.type === "request") paths.push(entry.request?.path ?? "?");
    } catch {
      // a line cut at the offset
    }
  }
  const counts = KINDS.map((kind) => {
    const from = paths.indexOf(markerPath(`${kind}-start`));
    const to = paths.indexOf(markerPath(`${kind}-end`));
    if (from < 0 || to < from) throw new Error(`audit markers for ${kind} not found`);
    const byPath: Record<string, number> = {};
    let offPath = 0;
    let counted = 0;
    for (const p of paths.slice(from + 1, to)) {
      if (OFF_PATH.has(p)) {
        offPath++;
        continue;
      }
      byPath[p] = (byPath[p] ?? 0) + 1;
      counted++;
    }
    return { kind, requests: n, callsPerRequest: counted / n, byPath, offPath };
  });
  return { device, note, counts };
}
