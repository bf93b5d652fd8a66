// npm test: starts one test ground, runs every test file against it with node's test runner,
// tears the ground down, checks nothing is left behind, and ends with "N passed, N failed".
import { spawn } from "node:child_process";
import fs from "node:fs";
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

function runNodeTest(
  files: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; pass: number; fail: number }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--test", "--test-concurrency=1", "--test-reporter=spec", ...files],
      {
        env,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let tail = "";
    child.stdout.on("data", (d: Buffer) => {
      process.stdout.write(d);
      tail = (tail + d.toString()).slice(-4000);
    });
    child.on("close", (code) => {
      const num = (label: string) => Number(tail.match(new RegExp(`ℹ ${label} (\\d+)`))?.[1] ?? 0);
      resolve({ code: code ?? 1, pass: num("pass"), fail: num("fail") });
    });
  });
}

const files = testFiles();
const t0 = Date.now();
const ground = await startGround();
const stateFile = path.join(ground.state.root, "state.json");
const result = await runNodeTest(files, { ...process.env, VSP_GROUND_FILE: stateFile });
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
const failed = result.fail + (clean ? 0 : 1) + (result.code !== 0 && result.fail === 0 ? 1 : 0);
console.log(`${result.pass + (clean ? 1 : 0)} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
