import { printable } from "../../common/printable.js";
import { type StatusReport, status } from "../services/status.js";
import { vaultSettingsFromEnv } from "../vault/client.js";
import type { Context } from "./context.js";

function table(r: StatusReport, c: Context["out"]["c"]): string {
  const mark = (ok: boolean) => (ok ? c.green("ok  ") : c.red("FAIL"));
  const lines = [`vsp "${r.name}": ${r.healthy ? c.green("healthy") : c.red("unhealthy")}`];
  const carrier = r.plugin.mode === "installer" ? "installer service" : "plugin service   ";
  lines.push(`${mark(r.plugin.service)} ${carrier} ${printable(r.plugin.ref ?? "-", 200)}`);
  for (const n of r.plugin.nodes)
    lines.push(
      `${mark(n.taskState === "running")}   on ${printable(n.hostname, 64).padEnd(20)} ${printable(n.taskState, 400)}${n.error ? ` (${printable(n.error, 300)})` : ""}`,
    );
  lines.push(
    `${mark(r.helper.tasks.some((t) => t.state === "running"))} helper service    ${r.helper.tasks.map((t) => t.state).join(", ") || "no tasks"}`,
  );
  const t = r.bootstrapToken;
  if (t) {
    const detail = t.checked
      ? t.valid
        ? `ttl ${t.ttlSeconds}s, expires ${t.expireTime ?? "never"}, policies ${t.policies?.join(",")}, renewable ${t.renewable}`
        : "REVOKED or expired"
      : "not checked (no VAULT_TOKEN)";
    lines.push(
      `${mark(!t.checked || !!t.valid)} bootstrap token   accessor ${t.accessor} in ${t.secret}: ${detail}`,
    );
  }
  const v = r.vault;
  lines.push(
    `${mark(!!v.health && !v.health.sealed)} vault             ${v.addr ?? "-"} ${v.error ?? (v.health ? (v.health.sealed ? "sealed" : `unsealed, ${v.health.version ?? ""}`) : "")}`,
  );
  lines.push(`     last rotation     ${r.lastRotation ?? "never"}`);
  if (r.recentFailures.length > 0) {
    lines.push(c.yellow('recent failures (Swarm shows tasks only "secret not found"):'));
    for (const f of r.recentFailures.slice(0, 10))
      lines.push(
        `  ${printable(f.service)}: ${Number(f.count)}× last ${printable(f.at)}: ${printable(f.last, 300)}`,
      );
  }
  const k = r.credentials;
  lines.push(
    `     task credentials  ${k.live} live, ${k.revokedLastHour} revoked in the last hour, ${k.kept} kept to their TTL, ${k.pending.length} pending revocation, ${k.notRevoked.length} not revoked`,
  );
  for (const i of [...k.pending, ...k.notRevoked].slice(0, 10))
    lines.push(
      `  ${printable(i.service)} task ${printable(i.task)} secret ${printable(i.secret)} accessor ${printable(i.accessor ?? "-")}: ${printable(i.reason, 300)}`,
    );
  for (const f of r.refresh)
    lines.push(
      `     rollover          ${printable(f.service)} (${printable(f.modes) || "-"}): ${f.rolling ? "rolling now" : printable(f.outcome ?? "waiting")}, last ${printable(f.lastRollout ?? "never")}, next ${printable(f.nextRollout ?? "on change")}${f.reason ? `: ${printable(f.reason, 200)}` : ""}`,
    );
  for (const p of r.problems) lines.push(c.red(`  problem: ${p}`));
  return lines.join("\n");
}

export async function statusCommand(flags: { name: string }, ctx: Context): Promise<number> {
  const report = await status(ctx.engine(), flags.name, vaultSettingsFromEnv(ctx.env));
  ctx.out.result(report, table(report, ctx.out.c));
  return report.healthy ? 0 : 1;
}
