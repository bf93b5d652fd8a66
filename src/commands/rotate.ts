import { rotate } from "../services/rotate.js";
import { type Context, parseDurationMs } from "./context.js";

export async function rotateCommand(flags: { name: string; grace: string }, ctx: Context): Promise<number> {
  const result = await rotate(
    ctx.engine(),
    ctx.vault(),
    {
      name: flags.name,
      graceMs: parseDurationMs("--grace", flags.grace),
      ...(ctx.seams.rotateAfterStep ? { afterStep: ctx.seams.rotateAfterStep } : {}),
    },
    ctx.out,
  );
  ctx.out.result(
    result,
    `bootstrap token rotated: now ${result.newAccessor} in secret ${result.secret}${result.oldAccessor ? `; ${result.oldAccessor} revoked` : ""}`,
  );
  return 0;
}
