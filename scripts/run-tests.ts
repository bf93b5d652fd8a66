// npm test: starts one test ground, runs every test file against it with node's test runner
// (one `node --test --test-force-exit` per file, counted from a machine-readable reporter, each
// with a deadline), tears the ground down, checks nothing is left behind, and ends with
// "N passed, N failed".
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startGround, stopGround } from "../test/ground/ground.js";
import {
  forwardRulesMatching,
  linksMatching,
  NET_NAME_RE,
  namespacesMatching,
} from "../test/ground/netns.js";

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

/** The cluster file runs a whole multi-manager scenario; every other file gets 10 minutes. */
function fileTimeoutMs(file: string): number {
  return file.endsWith("cluster.test.js") ? 20 * 60_000 : 10 * 60_000;
}

interface FileResult {
  pass: number;
  fail: number;
  problem?: string;
}

/** One file in its own `node --test`, counted from the count reporter's events, never left to hang. */
function runFile(file: string, env: NodeJS.ProcessEnv): Promise<FileResult> {
  const events = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "vsp-events-")), "events.jsonl");
  return new Promise((resolve) => {
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
      { env, stdio: ["ignore", "inherit", "inherit"], detached: true },
    );
    let problem: string | undefined;
    const kill = (why: string) => {
      problem ??= why;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const deadline = setTimeout(
      () => kill(`did not finish within ${fileTimeoutMs(file) / 60_000} min`),
      fileTimeoutMs(file),
    );
    child.on("close", (code) => {
      clearTimeout(deadline);
      const lines = fs.existsSync(events) ? fs.readFileSync(events, "utf8").split("\n").filter(Boolean) : [];
      fs.rmSync(path.dirname(events), { recursive: true, force: true });
      const tests = lines
        .map((l) => JSON.parse(l) as { type: string; suite?: boolean })
        .filter((e) => !e.suite);
      const result: FileResult = {
        pass: tests.filter((e) => e.type === "test:pass").length,
        fail: tests.filter((e) => e.type === "test:fail").length,
      };
      if (!problem && code !== 0 && result.fail === 0)
        problem = `exited with code ${code} and no failed test`;
      if (problem) result.problem = problem;
      resolve(result);
    });
  });
}

const files = testFiles();
const t0 = Date.now();
const ground = await startGround();
const stateFile = path.join(ground.state.root, "state.json");
const result = { pass: 0, fail: 0 };
const problems: string[] = [];
for (const file of files) {
  const r = await runFile(file, { ...process.env, VSP_GROUND_FILE: stateFile });
  result.pass += r.pass;
  result.fail += r.fail;
  if (r.problem) problems.push(`${path.relative(distTest, file)} ${r.problem}`);
}
const t1 = Date.now();
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
const pluginSockets = fs.existsSync("/run/docker/plugins") ? fs.readdirSync("/run/docker/plugins") : [];
console.log(
  `\nground: up in ${ground.state.startedMs} ms, tests ${((t1 - t0) / 1000).toFixed(1)} s, teardown ${Date.now() - t1} ms`,
);
if (!clean) console.log(`ground teardown left behind: ${JSON.stringify({ ...left, ...net })}`);
else console.log("ground teardown: no process, mount, socket, namespace or link left behind");
if (pluginSockets.length) console.log(`note: /run/docker/plugins holds ${pluginSockets.join(", ")}`);
for (const p of problems) console.log(`test file problem: ${p}`);
const failed = result.fail + (clean ? 0 : 1) + problems.length;
console.log(`${result.pass + (clean ? 1 : 0)} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
