// vsp as an operator installs it: from a clean copy of the repository (npm ci builds it through
// `prepare`, then `npm install -g` of the folder) and from `npm pack`'s tarball, each into a
// private prefix. Needs the npm registry (CI has it); touches nothing global.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { ROOT } from "../helpers/cli.js";

const execFileP = promisify(execFile);
let tmp: string;
let src: string;
const version = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string })
  .version;

async function sh(cmd: string, args: string[], cwd: string): Promise<{ stdout: string; ms: number }> {
  const started = Date.now();
  const { stdout } = await execFileP(cmd, args, {
    cwd,
    timeout: 300_000,
    maxBuffer: 32 << 20,
    env: {
      ...process.env,
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
    },
  });
  return { stdout, ms: Date.now() - started };
}

async function assertWorks(bin: string, label: string): Promise<void> {
  assert.equal((await sh(bin, ["--version"], tmp)).stdout.trim(), version, label);
  assert.match((await sh(bin, ["--help"], tmp)).stdout, /Commands:[\s\S]*check[\s\S]*deploy/, label);
  const check = await sh(
    bin,
    ["check", "-c", path.join(src, "compose", "dream.yml"), "--offline", "--json"],
    tmp,
  );
  assert.equal((JSON.parse(check.stdout) as { ok: boolean }).ok, true, label);
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vsp-install-"));
  src = path.join(tmp, "src");
  fs.mkdirSync(src);
  // The working tree as git sees it (tracked and new files, nothing ignored: no node_modules, no dist).
  const { stdout } = await execFileP("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: ROOT });
  for (const rel of stdout.split("\0").filter(Boolean)) {
    if (!fs.existsSync(path.join(ROOT, rel))) continue;
    fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, rel), path.join(src, rel));
  }
  fs.chmodSync(path.join(src, "bin", "vsp"), 0o755);
});
after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("from the repository: npm ci builds it, npm install -g of the folder gives a working vsp", async () => {
  const ci = await sh("npm", ["ci"], src);
  assert.ok(
    fs.existsSync(path.join(src, "dist", "plugin-image", "plugin.cjs")),
    "prepare built the plugin bundle",
  );
  const install = await sh("npm", ["install", "-g", "--prefix", path.join(tmp, "g1"), src], tmp);
  await assertWorks(path.join(tmp, "g1", "bin", "vsp"), "folder install");
  process.stderr.write(`[install] npm ci (with build) ${ci.ms} ms, npm install -g <repo> ${install.ms} ms\n`);
});

test("from npm pack's tarball: only what the CLI needs, and it works installed globally", async () => {
  const pack = await sh("npm", ["pack", "--json", "--pack-destination", tmp], src);
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  const files = info!.files.map((f) => f.path);
  for (const needed of [
    "bin/vsp",
    "dist/src/cli.js",
    "dist/common/contract.js",
    "dist/plugin-image/plugin.cjs",
    "dist/plugin-image/helper.cjs",
    "dist/plugin-image/Dockerfile",
  ])
    assert.ok(files.includes(needed), `${needed} is packed`);
  assert.ok(
    !files.some((f) => f.startsWith("dist/test/") || f.startsWith("test/") || f.endsWith(".ts")),
    "no tests or sources",
  );
  const install = await sh(
    "npm",
    ["install", "-g", "--prefix", path.join(tmp, "g2"), path.join(tmp, info!.filename)],
    tmp,
  );
  await assertWorks(path.join(tmp, "g2", "bin", "vsp"), "tarball install");
  process.stderr.write(
    `[install] npm pack ${pack.ms} ms (${files.length} files), npm install -g <tarball> ${install.ms} ms\n`,
  );
});
