import { terminalText } from "../../common/printable.js";
import { refresh } from "../services/refresh.js";
import { type Context, parseDurationMs } from "./context.js";

export interface RefreshFlags {
  name: string;
  stack?: string;
  secret?: string[];
  timeout: string;
}

export async function refreshCommand(
  flags: RefreshFlags,
  ctx: Context,
  services: string[] = [],
): Promise<number> {
  const result = await refresh(
    ctx.engine(),
    {
      name: flags.name,
      services,
      stack: flags.stack,
      secrets: flags.secret,
      timeoutMs: parseDurationMs("--timeout", flags.timeout),
    },
    ctx.out,
  );
  const lines = result.services.map((s) => {
    const head = `${s.outcome === "completed" ? "refreshed" : "FAILED   "} ${terminalText(s.service)} in ${(s.ms / 1000).toFixed(1)}s`;
    const detail = s.swaps.map(
      (w) => `  ${terminalText(w.from)} → ${terminalText(w.to)} (${terminalText(w.target)})`,
    );
    const kept = s.keptOld.length
      ? [`  kept (still in use): ${s.keptOld.map((k) => terminalText(k)).join(", ")}`]
      : [];
    return [head, ...detail, ...kept, ...(s.reason ? [`  reason: ${terminalText(s.reason)}`] : [])].join(
      "\n",
    );
  });
  ctx.out.result(result, lines.join("\n"));
  return result.ok ? 0 : 1;
}
