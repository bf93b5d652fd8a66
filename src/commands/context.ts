// What every command gets: the environment and the output.

import { durationMs } from "../../common/duration.js";
import { connectEngine, type Engine, engineAddress } from "../docker/engine.js";
import { UsageError } from "../errors.js";
import { Output } from "../output.js";
import type { RotateStep } from "../services/rotate.js";
import { VaultClient, vaultSettingsFromEnv } from "../vault/client.js";

/** Hooks tests pass to main() (test/helpers/vsp-with-fault.ts); the installed CLI passes none. */
export interface Seams {
  rotateAfterStep?: (step: RotateStep) => void | Promise<void>;
}

export interface Context {
  env: NodeJS.ProcessEnv;
  seams: Seams;
  out: Output;
  engine(): Engine;
  engineAddress: string;
  vault(addrFlag?: string): VaultClient;
}

export function makeContext(
  flags: { json?: boolean; verbose?: boolean },
  env: NodeJS.ProcessEnv = process.env,
  seams: Seams = {},
): Context {
  const out = new Output({ json: !!flags.json, verbose: !!flags.verbose, env });
  let engine: Engine | undefined;
  return {
    env,
    seams,
    out,
    engine: () => {
      if (!engine) {
        const clear = plainTcp(env);
        if (clear) out.warn(clear);
      }
      engine ??= connectEngine(env);
      return engine;
    },
    engineAddress: engineAddress(env),
    vault: (addrFlag) => {
      const settings = vaultSettingsFromEnv(env, addrFlag);
      const clear = plainHttp(settings.addr);
      if (clear) out.warn(clear);
      return new VaultClient(settings);
    },
  };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

/** A warning when the operator's Vault token would cross a network in clear. */
export function plainHttp(addr: string): string | undefined {
  let url: URL;
  try {
    url = new URL(addr);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" || LOOPBACK.test(url.hostname)) return undefined;
  return `Vault at ${url.origin} is plain http: your Vault token and the bootstrap token travel unencrypted; use https`;
}

/** A warning when the Docker API (root on the managers) is reached over tcp without TLS. */
export function plainTcp(env: NodeJS.ProcessEnv): string | undefined {
  const host = env.DOCKER_HOST ?? "";
  if (!host.startsWith("tcp://") || env.DOCKER_TLS_VERIFY || env.DOCKER_CERT_PATH) return undefined;
  const hostname = host.slice("tcp://".length).split(":")[0] ?? "";
  if (LOOPBACK.test(hostname)) return undefined;
  return `DOCKER_HOST ${host} is tcp without TLS: anyone on the path can drive the engine; set DOCKER_TLS_VERIFY and DOCKER_CERT_PATH`;
}

/** A duration flag in ms; not one is a usage error (exit 2). */
export function parseDurationMs(flag: string, raw: string): number {
  const ms = durationMs(raw);
  if (ms === undefined)
    throw new UsageError(`${flag}: "${raw}" is not a duration`, "use e.g. 30s, 5m or 1h30m");
  return ms;
}
