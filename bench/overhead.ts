// Measurement 1: GetSecret through the plugin's socket versus the same Vault calls made directly,
// per kind and concurrency, in alternating rounds so machine noise hits both sides.
import { cpuDelta, cpuSnapshot, type Watched } from "../test/helpers/procs.js";
import { type BatchResult, type LatencySummary, runBatch, summarize } from "./stats.js";
import { direct, KINDS, type Kind, type Sides, viaPlugin } from "./workload.js";

export interface SideResult extends LatencySummary {
  rps: number;
  errors: number;
  firstError?: string;
  /** CPU time per request of each ground process while this side ran (ms). */
  cpuMsPerRequest: Record<string, number>;
}

export interface OverheadCell {
  kind: Kind;
  concurrency: number;
  requestsPerSide: number;
  plugin: SideResult;
  direct: SideResult;
  /** plugin / direct */
  p50Ratio: number;
  p95Ratio: number;
  p99Ratio: number;
  rpsRatio: number;
}

export interface OverheadOptions {
  requests: number;
  rounds: number;
  concurrencies: number[];
  watched: Watched[];
  log: (m: string) => void;
}

type Measured = BatchResult & { cpu: Record<string, number> };

async function measured(watched: Watched[], batch: () => Promise<BatchResult>): Promise<Measured> {
  const before = cpuSnapshot(watched);
  const result = await batch();
  return { ...result, cpu: cpuDelta(before, cpuSnapshot(watched)) };
}

function combine(batches: Measured[]): SideResult {
  const latencies = batches.flatMap((b) => b.latencies);
  const cpuMsPerRequest: Record<string, number> = {};
  for (const b of batches)
    for (const [k, v] of Object.entries(b.cpu)) cpuMsPerRequest[k] = (cpuMsPerRequest[k] ?? 0) + v;
  for (const k of Object.keys(cpuMsPerRequest)) cpuMsPerRequest[k] = cpuMsPerRequest[k]! / latencies.length;
  const wall = batches.reduce((a, b) => a + b.wallMs, 0);
  const errors = batches.reduce((a, b) => a + b.errors, 0);
  return {
    ...summarize(latencies),
    rps: (latencies.length / wall) * 1000,
    errors,
    firstError: batches.find((b) => b.firstError)?.firstError,
    cpuMsPerRequest,
  };
}

export async function measureOverhead(s: Sides, o: OverheadOptions): Promise<OverheadCell[]> {
  const cells: OverheadCell[] = [];
  // A fresh plugin has served only deploy's probe: let V8 optimise both paths before any cell.
  for (const kind of KINDS) {
    await runBatch(200, 8, () => viaPlugin(s, kind));
    await runBatch(200, 8, () => direct(s, kind));
  }
  for (const kind of KINDS) {
    for (const concurrency of o.concurrencies) {
      const perRound = Math.ceil(o.requests / o.rounds);
      // Warm both paths (connections, JIT) before measuring.
      const warm = Math.max(20, concurrency * 2);
      await runBatch(warm, concurrency, () => viaPlugin(s, kind));
      await runBatch(warm, concurrency, () => direct(s, kind));
      const pluginBatches: Measured[] = [];
      const directBatches: Measured[] = [];
      for (let r = 0; r < o.rounds; r++) {
        const runPlugin = async () =>
          pluginBatches.push(
            await measured(o.watched, () => runBatch(perRound, concurrency, () => viaPlugin(s, kind))),
          );
        const runDirect = async () =>
          directBatches.push(
            await measured(o.watched, () => runBatch(perRound, concurrency, () => direct(s, kind))),
          );
        if (r % 2 === 0) {
          await runPlugin();
          await runDirect();
        } else {
          await runDirect();
          await runPlugin();
        }
      }
      const plugin = combine(pluginBatches);
      const dir = combine(directBatches);
      const cell: OverheadCell = {
        kind,
        concurrency,
        requestsPerSide: perRound * o.rounds,
        plugin,
        direct: dir,
        p50Ratio: plugin.p50 / dir.p50,
        p95Ratio: plugin.p95 / dir.p95,
        p99Ratio: plugin.p99 / dir.p99,
        rpsRatio: plugin.rps / dir.rps,
      };
      cells.push(cell);
      o.log(
        `  ${kind.padEnd(7)} c=${String(concurrency).padStart(2)}: p50 ${plugin.p50.toFixed(2)} vs ${dir.p50.toFixed(2)} ms (×${cell.p50Ratio.toFixed(2)}), ` +
          `${plugin.rps.toFixed(0)} vs ${dir.rps.toFixed(0)} req/s (×${cell.rpsRatio.toFixed(2)})` +
          (plugin.errors + dir.errors
            ? `, errors ${plugin.errors}/${dir.errors}: ${plugin.firstError ?? dir.firstError}`
            : ""),
      );
    }
  }
  return cells;
}
