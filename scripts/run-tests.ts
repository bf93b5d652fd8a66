// npm test: runs the unit files, then for each engine (VSP_TEST_ENGINES, default bookworm and
// trixie) starts one test ground and runs the e2e files with node's test runner (one
// `node --test --test-force-exit` per file, counted from a machine-readable reporter, each with a
// deadline): those on the shared ground two at a time (a file that needs it alone runs alone), and
// beside them those that start their own clusters. Then it tears the ground down, checks nothing is left behind, and ends with
// "N passed, N failed".
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stopLeftClusters } from "../test/ground/cluster.js";
import { ENGINE_NAMES, type EngineName, engineName } from "../test/ground/engine.js";
import { type Ground, startGround, stopGround } from "../test/ground/ground.js";
import {
  forwardRulesMatching,
  linksMatching,
  NET_NAME_RE,
  namespacesMatching,
} from "../test/ground/netns.js";

/** A test file being run: its process group and the list of clusters it started. */
interface RunningFile {
  child: ChildProcess;
  clusterList: string;
}

/** What a signal must stop: the files running now and the ground they run on. */
const live: { running: Set<RunningFile>; ground?: Ground; signalled?: boolean } = { running: new Set() };

const distTest = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "test");
const countReporter = path.join(path.dirname(fileURLToPath(import.meta.url)), "count-reporter.js");
const only = process.argv.slice(2);

function testFiles(): string[] {
  const files: string[] = [];
  for (const dir of ["unit", "e2e"]) {
    const full = path.join(distTest, dir);
    if (!fs.existsSync(full)) continue;
    for (const f of fs.readdirSync(full).sort()) if (f.endsWith(".test.js")) files.push(path.join(full, f));
  }
  return only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
}

/**
 * A file that never asks for the shared ground (useGround) starts everything it needs itself
 * (the multi-manager files, the install file), so it can run beside the files on the ground.
 */
function startsOwnGround(file: string): boolean {
  return !fs.readFileSync(file, "utf8").includes("useGround(");
}

/**
 * A file on the shared ground that changes what the others rely on (the default deployment, the
 * engine, OpenBao) or measures the whole ground says so in a first line `// ground: alone (why)`.
 */
function needsGroundAlone(file: string): boolean {
  return /^\/\/ ground: alone\b/m.test(fs.readFileSync(file, "utf8"));
}

/** How many files share the ground at once (VSP_TEST_POOL, default 2; 1 runs them one by one). */
function poolSize(): number {
  const n = Number(process.env.VSP_TEST_POOL ?? 2);
  return Number.isInteger(n) && n >= 1 ? n : 2;
}

/** The cluster files run whole multi-manager scenarios; every other file gets 10 minutes. */
function fileTimeoutMs(file: string): number {
  return path.basename(file).startsWith("cluster") ? 20 * 60_000 : 10 * 60_000;
}

interface FileResult {
  pass: number;
  fail: number;
  /** "test name: start of its error", for the summary at the end. */
  failures: string[];
  problem?: string;
}

/**
 * One file in its own `node --test`, counted from the count reporter's events, never left to hang.
 * With `buffered` (another file runs beside it) its output is printed whole when it ends.
 */
async function runFile(file: string, env: NodeJS.ProcessEnv, buffered: boolean): Promise<FileResult> {
  // The signal handler owns the teardown: wait here for its exit.
  if (live.signalled) await new Promise<never>(() => undefined);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vsp-file-"));
  const events = path.join(dir, "events.jsonl");
  const output = path.join(dir, "output.log");
  const clusterList = path.join(dir, "clusters");
  const started = Date.now();
  const out = buffered ? fs.openSync(output, "w") : "inherit";
  const child = spawn(
    process.execPath,
    [
      "--test",
      // A file ends when its tests do: a failed `before` that left a stream or timer running
      // does not keep it (and CI) waiting.
      "--test-force-exit",
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      `--test-reporter=${countReporter}`,
      `--test-reporter-destination=${events}`,
      file,
    ],
    { env: { ...env, VSP_CLUSTER_LIST: clusterList }, stdio: ["ignore", out, out], detached: true },
  );
  if (typeof out === "number") fs.closeSync(out);
  const running: RunningFile = { child, clusterList };
  live.running.add(running);
  let problem: string | undefined;
  const deadline = setTimeout(() => {
    problem = `did not finish within ${fileTimeoutMs(file) / 60_000} min`;
    killGroup(child);
  }, fileTimeoutMs(file));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(deadline);
  live.running.delete(running);
  // After a signal the handler tears down and exits; nothing here may go on to the next step.
  if (live.signalled) await new Promise<never>(() => undefined);
  // A file killed at its deadline could not stop the clusters it started.
  for (const root of await stopLeftClusters(clusterList))
    problem ??= `left cluster ${root} running (stopped by the runner)`;
  const name = path.relative(distTest, file);
  if (buffered) process.stdout.write(`\n── ${name} ──\n${fs.readFileSync(output, "utf8")}`);
  const lines = fs.existsSync(events) ? fs.readFileSync(events, "utf8").split("\n").filter(Boolean) : [];
  fs.rmSync(dir, { recursive: true, force: true });
  const finished = lines.map(
    (l) => JSON.parse(l) as { type: string; name?: string; suite?: boolean; error?: string },
  );
  const tests = finished.filter((e) => !e.suite);
  const result: FileResult = {
    pass: tests.filter((e) => e.type === "test:pass").length,
    fail: tests.filter((e) => e.type === "test:fail").length,
    // A failed hook fails its suite; its error is only on the suite's event.
    // Tests cancelled with their suite say only that; the suite's own line says why.
    failures: finished
      .filter((e) => e.type === "test:fail" && !/was cancelled$/.test(e.error ?? ""))
      .map((e) => `${e.name}: ${e.error ?? "?"}`),
  };
  if (!problem && code !== 0 && result.fail === 0) problem = `exited with code ${code} and no failed test`;
  if (problem) result.problem = problem;
  console.log(
    `── ${name}: ${result.pass} passed, ${result.fail} failed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return result;
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Every engine the e2e files run on (VSP_TEST_ENGINES, default all); unit files run once. */
function engines(): EngineName[] {
  const names = (process.env.VSP_TEST_ENGINES ?? ENGINE_NAMES.join(",")).split(",").filter(Boolean);
  return names.map((n) => engineName(n));
}

interface Tally {
  pass: number;
  fail: number;
  problems: string[];
  failures: string[];
}

async function runFiles(
  files: string[],
  env: NodeJS.ProcessEnv,
  tally: Tally,
  label: string,
  buffered: boolean,
  pool = 1,
): Promise<void> {
  const queue = [...files];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const r = await runFile(file, env, buffered);
      tally.pass += r.pass;
      tally.fail += r.fail;
      for (const f of r.failures) tally.failures.push(`${label}${path.relative(distTest, file)} › ${f}`);
      if (r.problem) tally.problems.push(`${label}${path.relative(distTest, file)} ${r.problem}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(pool, files.length) }, worker));
}

/** The files on the shared ground: those that need it alone one by one, then the rest `pool` at a time. */
async function runOnGround(
  files: string[],
  env: NodeJS.ProcessEnv,
  tally: Tally,
  label: string,
  buffered: boolean,
  pool: number,
): Promise<void> {
  const alone = files.filter(needsGroundAlone);
  await runFiles(alone, env, tally, label, buffered);
  await runFiles(
    files.filter((f) => !alone.includes(f)),
    env,
    tally,
    label,
    buffered,
    pool,
  );
}

/** One ground on `engine`, every e2e file against it, its teardown checked (a leftover counts as a failure). */
async function onEngine(engine: EngineName, files: string[], tally: Tally): Promise<void> {
  process.env.VSP_TEST_ENGINE = engine;
  const t0 = Date.now();
  const ground = await startGround();
  live.ground = ground;
  const stateFile = path.join(ground.state.root, "state.json");
  const before = { ...tally };
  // Two lanes: the files on the shared ground (see runOnGround), and beside them the files that
  // start their own (VSP_TEST_SERIAL=1 runs every file alone, one after another).
  const serial = process.env.VSP_TEST_SERIAL === "1";
  const own = serial ? [] : files.filter(startsOwnGround);
  const shared = files.filter((f) => !own.includes(f));
  const pool = serial ? 1 : poolSize();
  const buffered = (own.length > 0 && shared.length > 0) || (pool > 1 && shared.length > 1);
  const env = { ...process.env, VSP_GROUND_FILE: stateFile };
  const label = `[${engine}] `;
  try {
    await Promise.all([
      runOnGround(shared, env, tally, label, buffered, pool),
      runFiles(own, env, tally, label, buffered),
    ]);
  } finally {
    const t1 = Date.now();
    live.ground = undefined;
    const left = await stopGround(ground);
    // Multi-manager grounds (test/e2e/cluster.test) remove their own namespaces, links and rules.
    const net = {
      namespaces: await namespacesMatching(NET_NAME_RE),
      links: linksMatching(NET_NAME_RE),
      rules: await forwardRulesMatching(NET_NAME_RE),
    };
    const clean =
      left.processes.length === 0 &&
      left.mounts.length === 0 &&
      left.paths.length === 0 &&
      net.namespaces.length + net.links.length + net.rules.length === 0;
    console.log(
      `\n[${engine}] ${ground.state.engineVersion}: ground up in ${ground.state.startedMs} ms, tests ${((t1 - t0) / 1000).toFixed(1)} s, teardown ${Date.now() - t1} ms, ${tally.pass - before.pass} passed, ${tally.fail - before.fail} failed`,
    );
    if (clean) {
      console.log(`[${engine}] ground teardown: no process, mount, socket, namespace or link left behind`);
      tally.pass += 1;
    } else {
      console.log(`[${engine}] ground teardown left behind: ${JSON.stringify({ ...left, ...net })}`);
      tally.fail += 1;
    }
  }
}

/** Ctrl-C or a CI cancel: stop the running files, any cluster they started, and the ground, then exit. */
async function stopOnSignal(signal: NodeJS.Signals): Promise<void> {
  console.log(`\n${signal}: stopping the running test files and the ground`);
  live.signalled = true;
  for (const { child, clusterList } of live.running) {
    killGroup(child);
    await stopLeftClusters(clusterList).catch((e) => console.log(`${e}`));
  }
  if (live.ground) await stopGround(live.ground).catch((e) => console.log(`${e}`));
  process.exit(signal === "SIGINT" ? 130 : 143);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, (s) => void stopOnSignal(s));

const files = testFiles();
const unitFiles = files.filter((f) => f.includes(`${path.sep}unit${path.sep}`));
const e2eFiles = files.filter((f) => !unitFiles.includes(f));
const tally: Tally = { pass: 0, fail: 0, problems: [], failures: [] };
const t0 = Date.now();
await runFiles(unitFiles, process.env, tally, "", false);
if (e2eFiles.length) for (const engine of engines()) await onEngine(engine, e2eFiles, tally);
const pluginSockets = fs.existsSync("/run/docker/plugins") ? fs.readdirSync("/run/docker/plugins") : [];
if (pluginSockets.length) console.log(`note: /run/docker/plugins holds ${pluginSockets.join(", ")}`);
for (const f of tally.failures.slice(0, 20)) console.log(`failed: ${f.replace(/\s+/g, " ")}`);
if (tally.failures.length > 20) console.log(`failed: … and ${tally.failures.length - 20} more`);
for (const p of tally.problems) console.log(`test file problem: ${p}`);
console.log(`all tests: ${((Date.now() - t0) / 60_000).toFixed(1)} min`);
const failed = tally.fail + tally.problems.length;
console.log(`${tally.pass} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
