// npm run bench: one test ground, `vsp deploy` through the built CLI, then
//   0. what OpenBao spends per kv value, 1. plugin overhead (socket vs direct Vault calls),
//   5. Vault calls per request (audit log), 3. footprint (cold start, RSS, image share),
//   2. scale-out (vsp vs static secret), 4. CLI times (rotation last: it changes the bootstrap
//   token), 6. failover on its own 3-manager ground. Writes bench/results.json, prints every
//   figure with its goal and mark, and tears the grounds down, also on failure or Ctrl-C.
// Options: --only vault-cost,overhead,audit,footprint,scale,cli,failover   --quick (small counts)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { countVaultCalls } from "../bench/audit.js";
import { measureCli } from "../bench/cli-times.js";
import { measureFailover } from "../bench/failover.js";
import { measureFootprint } from "../bench/footprint.js";
import { measureOverhead } from "../bench/overhead.js";
import { type BenchResults, render, verdicts } from "../bench/report.js";
import { measureScaleOut } from "../bench/scale.js";
import { makeSides, setUpVault, startFloorProxy } from "../bench/setup.js";
import { measureVaultCost } from "../bench/vault-cost.js";
import type { Sides } from "../bench/workload.js";
import { stopLeftClusters } from "../test/ground/cluster.js";
import { type Ground, startGround, stopGround } from "../test/ground/ground.js";
import { processesMentioning } from "../test/ground/process.js";
import { ensureDeployed, ROOT } from "../test/helpers/cli.js";
import { groundProcesses } from "../test/helpers/procs.js";
import { pluginLog } from "../test/helpers/swarm.js";

const SECTIONS = ["vault-cost", "overhead", "audit", "footprint", "scale", "cli", "failover"] as const;
type Section = (typeof SECTIONS)[number];

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const onlyArg = argv.find((a, i) => argv[i - 1] === "--only" || a.startsWith("--only="));
const only = new Set(
  (onlyArg?.replace(/^--only=/, "") ?? SECTIONS.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);
for (const s of only)
  if (!(SECTIONS as readonly string[]).includes(s)) {
    process.stderr.write(`unknown section ${s}; sections: ${SECTIONS.join(", ")}\n`);
    process.exit(2);
  }

const settings = {
  vaultCost: { requests: quick ? 200 : 1000, rounds: quick ? 2 : 8 },
  overhead: { requests: quick ? 80 : 400, rounds: 4, concurrencies: [1, 8, 32] },
  audit: { requests: 20 },
  footprint: { coldStarts: quick ? 1 : 3, loadRequests: quick ? 1000 : 10_000, loadConcurrency: 16 },
  scale: {
    replicas: quick ? [1, 10] : [1, 10, 50],
    rounds: { 1: 2, 10: 2, 50: 4 } as Record<number, number>,
  },
  cli: { runs: 3 },
  failover: { rounds: quick ? 2 : 6 },
};

const say = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const started = Date.now();

function otherDockerds(): number {
  return processesMentioning("dockerd").filter((p) => /(^|\/)dockerd( |$)/.test(p.cmd)).length;
}

const results: BenchResults = {
  startedAt: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    node: process.version,
    loadavgStart: os.loadavg(),
    otherDockerds: otherDockerds(),
  },
  settings: { ...settings, quick, only: [...only] },
  errors: {},
  diagnostics: {},
};

let ground: Ground | undefined;
let sides: Sides | undefined;
let stopFloor: (() => void) | undefined;
let tornDown: Promise<void> | undefined;

function teardown(): Promise<void> {
  tornDown ??= (async () => {
    sides?.plugin.close();
    sides?.direct.close();
    sides?.floor?.close();
    stopFloor?.();
    if (!ground) return;
    // A failover section stopped half-way (Ctrl-C, an error) leaves its cluster recorded here.
    await stopLeftClusters(path.join(ground.state.root, "clusters")).catch(() => []);
    say("tearing the ground down");
    results.teardown = await stopGround(ground);
  })();
  return tornDown;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping`);
    void teardown().finally(() => process.exit(130));
  });
}

async function section(name: Section, title: string, run: () => Promise<void>): Promise<void> {
  if (!only.has(name)) return;
  const t = Date.now();
  say(`${title}`);
  try {
    await run();
  } catch (err) {
    results.errors[name] = (err as Error).message;
    say(`${name} failed: ${(err as Error).message}`);
    // The plugin's own account (names and reasons only; its log never holds values or tokens).
    if (ground) {
      const lines = pluginLog(ground).filter((l) => l.level === "error" || l.level === "warn");
      results.diagnostics[name] = lines.slice(-5).map((l) => `${String(l.msg)}: ${String(l.error ?? "")}`);
    }
  }
  say(`${name} took ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

try {
  ground = await startGround();
  // Clusters started from here (the failover section) are listed beside the ground's state.
  process.env.VSP_CLUSTER_LIST = path.join(ground.state.root, "clusters");
  results.groundStartMs = ground.state.startedMs;
  const g = ground;
  say("vsp deploy");
  const deployed = await ensureDeployed(g);
  results.deployMs = deployed.ms;
  const expected = await setUpVault(g);
  sides = await makeSides(g, expected);
  const s = sides;
  const plugins = (await g.docker.listPlugins({})) as unknown as { Id: string; Name: string }[];
  const pluginId = plugins.find((p) => p.Name === "vsp:latest")?.Id;
  if (!pluginId) throw new Error("vsp deploy left no plugin vsp:latest on the ground");

  await section("vault-cost", "0. what Vault spends per delivered value", async () => {
    results.vaultCost = await measureVaultCost(g, s, { ...settings.vaultCost, log: say });
  });
  await section("overhead", "1. plugin overhead", async () => {
    const floor = await startFloorProxy(g);
    stopFloor = floor.stop;
    s.floor = floor.client;
    results.overhead = await measureOverhead(s, {
      ...settings.overhead,
      watched: groundProcesses(g, pluginId),
      log: say,
    });
  });
  await section("audit", "5. Vault calls per request (audit log)", async () => {
    results.audit = await countVaultCalls(g, s, settings.audit.requests);
  });
  await section("footprint", "3. footprint", async () => {
    results.footprint = await measureFootprint(g, s, {
      ...settings.footprint,
      log: say,
      startFloor: () => startFloorProxy(g),
    });
  });
  await section("scale", "2. scale-out", async () => {
    results.scale = await measureScaleOut(g, {
      replicas: settings.scale.replicas,
      rounds: (r) => settings.scale.rounds[r] ?? 2,
      log: say,
    });
  });
  await section("cli", "4. CLI", async () => {
    results.cli = await measureCli(g, settings.cli.runs, say);
  });
  // Its own 3-manager ground, beside this one (as the cluster tests run).
  await section("failover", "6. failover on 3 managers", async () => {
    results.failover = await measureFailover({ ...settings.failover, log: say });
  });
} catch (err) {
  results.errors.setup = (err as Error).message;
  say(`bench failed: ${(err as Error).message}`);
} finally {
  await teardown();
}

results.totalMs = Date.now() - started;
results.machine.loadavgEnd = os.loadavg();
results.verdicts = verdicts(results);
const file = path.join(ROOT, "bench", "results.json");
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`\n${render(results)}\n\nresults: ${path.relative(process.cwd(), file) || file}\n`);
const left = results.teardown;
const dirty = !!left && left.processes.length + left.mounts.length + left.paths.length > 0;
process.exitCode = Object.keys(results.errors).length > 0 || dirty ? 1 : 0;
