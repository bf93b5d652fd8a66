// Measurement 4: wall times of the built CLI as a user runs it (bin/vsp in a child process).
import type { Ground } from "../test/ground/ground.js";
import { deployArgs, vsp } from "../test/helpers/cli.js";
import { midMedian } from "./stats.js";

export interface CliTimes {
  statusMs: number[];
  statusMedianMs: number;
  deployMs: number[];
  deployMedianMs: number;
  rotateMs: number;
}

async function timed(ground: Ground, args: string[], what: string): Promise<{ ms: number; stdout: string }> {
  const run = await vsp(ground, args);
  if (run.code !== 0) throw new Error(`${what} exited ${run.code}: ${run.stderr.slice(-600)}`);
  return { ms: run.ms, stdout: run.stdout };
}

export async function measureCli(ground: Ground, runs: number, log: (m: string) => void): Promise<CliTimes> {
  const statusMs: number[] = [];
  const deployMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    statusMs.push((await timed(ground, ["status"], "vsp status")).ms);
  }
  log(`  vsp status: ${statusMs.join(", ")} ms`);
  for (let i = 0; i < runs; i++) {
    const run = await timed(ground, [...deployArgs(ground), "--json"], "vsp deploy");
    const changed = (JSON.parse(run.stdout) as { changed: string[] }).changed;
    if (changed.length > 0) throw new Error(`vsp deploy re-run changed something: ${changed.join("; ")}`);
    deployMs.push(run.ms);
  }
  log(`  vsp deploy (no change): ${deployMs.join(", ")} ms`);
  const rotateMs = (await timed(ground, ["bootstrap-token", "rotate", "--grace", "1s"], "vsp rotate")).ms;
  log(`  vsp bootstrap-token rotate --grace 1s: ${rotateMs} ms`);
  return {
    statusMs,
    statusMedianMs: midMedian(statusMs),
    deployMs,
    deployMedianMs: midMedian(deployMs),
    rotateMs,
  };
}
