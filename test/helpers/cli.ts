// Runs the built CLI as a user would (bin/vsp in a child process) against the ground.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { until } from "../../common/poll.js";
import type { Ground } from "../ground/ground.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const VSP_BIN = path.join(ROOT, "bin", "vsp");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function vsp(
  ground: Ground,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
  timeoutMs = 300_000,
): Promise<CliRun> {
  return runCli(ground, [VSP_BIN, ...args], extraEnv, timeoutMs);
}

/** vsp with a fault after a rotation step (main()'s test seam): `fail` throws there, `crash` is SIGKILL. */
export function vspWithFault(
  ground: Ground,
  kind: "fail" | "crash",
  step: "secret" | "helper",
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<CliRun> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "vsp-with-fault.js");
  return runCli(ground, [script, kind, step, ...args], extraEnv, 300_000);
}

function runCli(
  ground: Ground,
  argv: string[],
  extraEnv: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      argv,
      { env: ground.env(extraEnv), timeout: timeoutMs, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === "number"
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

/** The deploy flags the test ground needs (its registry, base image and private Docker socket). */
export function deployArgs(ground: Ground, extra: string[] = []): string[] {
  return [
    "deploy",
    "--registry",
    ground.registry,
    "--base-image",
    ground.state.baseImage,
    "--docker-socket",
    ground.state.dockerd.socket,
    ...extra,
  ];
}

let deployed: Promise<CliRun> | undefined;

/**
 * Deploys vsp once per test process; deploy is idempotent, so later files only re-check it.
 * Files share the ground two at a time: a deploy that meets another file's run lock tries again.
 */
export async function ensureDeployed(ground: Ground): Promise<CliRun> {
  let last: CliRun | undefined;
  deployed ??= until(
    300_000,
    async () => {
      last = await vsp(ground, [...deployArgs(ground), "--json"]);
      if (last.code === 0) return last;
      if (/another run is changing deployment/.test(last.stderr)) return undefined;
      throw new Error(`vsp deploy failed (${last.code}): ${last.stderr}`);
    },
    () => new Error(`vsp deploy still meets another run's lock after 300 s: ${last?.stderr ?? ""}`),
    1000,
  );
  return deployed;
}
