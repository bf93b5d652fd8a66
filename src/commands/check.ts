import { terminalText as printable } from "../../common/printable.js";
import { type CheckReport, checkStack } from "../services/check.js";
import type { Context } from "./context.js";

export interface CheckFlags {
  composeFile: string[];
  name: string;
  policyPrefix: string;
  taskPolicies?: string;
  vaultAddr?: string;
  offline?: boolean;
}

function table(r: CheckReport, c: Context["out"]["c"]): string {
  const failed = r.rows.filter((x) => !x.ok).length;
  const where = r.vault ? `Vault ${r.vault}` : "labels only";
  const lines = [
    `vsp check: stack ${r.stack}, deployment ${r.deployment}, ${where}: ${r.rows.length} secret mount(s), ${failed ? c.red(`${failed} would fail`) : c.green("all would succeed")}`,
  ];
  const width = Math.max(7, ...r.rows.map((x) => x.service.length));
  const swidth = Math.max(6, ...r.rows.map((x) => x.secret.length));
  for (const x of r.rows) {
    const mark = x.ok ? c.green("ok  ") : c.red("FAIL");
    lines.push(
      `${mark}  ${printable(x.service).padEnd(width)}  ${printable(x.secret).padEnd(swidth)}  ${(x.type ?? "-").padEnd(5)}  ${printable(x.operation ?? "-", 200)}  (policy ${printable(x.policy)})`,
    );
    if (x.problem) lines.push(`      ${printable(x.problem, 400)}`);
    if (x.hint) lines.push(c.dim(`      what to do: ${printable(x.hint, 400)}`));
    for (const n of x.notes) lines.push(c.dim(`      note: ${n}`));
  }
  if (r.rows.length === 0) lines.push(`no service mounts a secret with driver ${r.deployment}`);
  for (const u of r.unused)
    lines.push(c.dim(`note: secret ${printable(u)} uses driver ${r.deployment} but no service mounts it`));
  for (const v of r.unsetVariables)
    lines.push(c.yellow(`warning: variable ${v} is not set; docker substitutes an empty string`));
  return lines.join("\n");
}

export async function checkCommand(flags: CheckFlags, ctx: Context, stack?: string): Promise<number> {
  const vault = flags.offline ? undefined : ctx.vault(flags.vaultAddr);
  const report = await checkStack(
    {
      files: flags.composeFile,
      stack,
      name: flags.name,
      policyPrefix: flags.policyPrefix,
      taskPolicies: flags.taskPolicies
        ?.split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    },
    ctx.env,
    vault,
  );
  ctx.out.result(report, table(report, ctx.out.c));
  return report.ok ? 0 : 1;
}
