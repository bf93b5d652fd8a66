// What every command gets: the environment and the output.
import { connectEngine, type Engine, engineAddress } from "../docker/engine.js";
import { Output } from "../output.js";
import { VaultClient, vaultSettingsFromEnv } from "../vault/client.js";

export interface Context {
  env: NodeJS.ProcessEnv;
  out: Output;
  engine(): Engine;
  engineAddress: string;
  vault(addrFlag?: string): VaultClient;
}

export function makeContext(
  flags: { json?: boolean; verbose?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): Context {
  const out = new Output({ json: !!flags.json, verbose: !!flags.verbose, env });
  let engine: Engine | undefined;
  return {
    env,
    out,
    engine: () => {
      engine ??= connectEngine(env);
      return engine;
    },
    engineAddress: engineAddress(env),
    vault: (addrFlag) => new VaultClient(vaultSettingsFromEnv(env, addrFlag)),
  };
}

export function parseDurationMs(flag: string, raw: string): number {
  const m = raw.match(/^(\d+)(ms|s|m|h)?$/);
  if (!m) throw new Error(`${flag}: "${raw}" is not a duration like 30s or 5m`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"] ?? 1000);
}
