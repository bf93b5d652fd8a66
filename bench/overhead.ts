// Measurement 1: GetSecret through the plugin's socket versus the same Vault calls made directly,
// per kind and concurrency, in alternating rounds so machine noise hits both sides.
import { cpuDelta, cpuSnapshot, type Watched } from "../test/helpers/procs.js";
import { type BatchResult, type LatencySummary, runBatch, summarize } from "./stats.js";
import { direct, KINDS, type Kind, type Sides, viaFloor, viaPlugin } from "./workload.js";

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
  /** kv only: the floor proxy (bench/floor-proxy.ts), and floor / direct. */
  floor?: SideResult;
  floorP50Ratio?: number;
  floorRpsRatio?: number;
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
      const withFloor = kind === "kv" && s.floor !== undefined;
      if (withFloor) await runBatch(warm, concurrency, () => viaFloor(s));
      const sides: Record<"plugin" | "direct" | "floor", { one: () => Promise<void>; batches: Measured[] }> =
        {
          plugin: { one: () => viaPlugin(s, kind), batches: [] },
          direct: { one: () => direct(s, kind), batches: [] },
          floor: { one: () => viaFloor(s), batches: [] },
        };
      const order = (
        withFloor ? ["plugin", "direct", "floor"] : ["plugin", "direct"]
      ) as (keyof typeof sides)[];
      for (let r = 0; r < o.rounds; r++) {
        // Each round starts with another side, so a drift over time favours none.
        for (let i = 0; i < order.length; i++) {
          const side = sides[order[(i + r) % order.length]!];
          side.batches.push(await measured(o.watched, () => runBatch(perRound, concurrency, side.one)));
        }
      }
      const plugin = combine(sides.plugin.batches);
      const dir = combine(sides.direct.batches);
      const floor = withFloor ? combine(sides.floor.batches) : undefined;
      const cell: OverheadCell = {
        kind,
        concurrency,
        requestsPerSide: perRound * o.rounds,
        plugin,
        direct: dir,
        ...(floor ? { floor, floorP50Ratio: floor.p50 / dir.p50, floorRpsRatio: floor.rps / dir.rps } : {}),
        p50Ratio: plugin.p50 / dir.p50,
        p95Ratio: plugin.p95 / dir.p95,
        p99Ratio: plugin.p99 / dir.p99,
        rpsRatio: plugin.rps / dir.rps,
      };
      cells.push(cell);
      o.log(
        `  ${kind.padEnd(7)} c=${String(concurrency).padStart(2)}: p50 ${plugin.p50.toFixed(2)} vs ${dir.p50.toFixed(2)} ms (×${cell.p50Ratio.toFixed(2)}), ` +
          `${plugin.rps.toFixed(0)} vs ${dir.rps.toFixed(0)} req/s (×${cell.rpsRatio.toFixed(2)})` +
          (floor
            ? `; floor p50 ×${cell.floorP50Ratio!.toFixed(2)}, req/s ×${cell.floorRpsRatio!.toFixed(2)}`
            : "") +
          (plugin.errors + dir.errors
            ? `, errors ${plugin.errors}/${dir.errors}: ${plugin.firstError ?? dir.firstError}`
            : ""),
      );
    }
  }
  return cells;
}
