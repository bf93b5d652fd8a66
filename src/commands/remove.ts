import { removeDeployment } from "../services/remove.js";
import type { Context } from "./context.js";

export async function removeCommand(
  flags: { name: string; purgeVault?: boolean },
  ctx: Context,
): Promise<number> {
  const vault = flags.purgeVault ? ctx.vault() : undefined;
  const result = await removeDeployment(
    ctx.engine(),
    vault,
    { name: flags.name, purgeVault: !!flags.purgeVault },
    ctx.out,
  );
  ctx.out.result(
    result,
    result.removed.length
      ? `removed:\n${result.removed.map((x) => `  - ${x}`).join("\n")}`
      : "nothing to remove",
  );
  return 0;
}
