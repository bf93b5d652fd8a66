// `vsp --version` prints the package's version and exits 0.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

test("vsp --version prints the version from package.json", () => {
  const want = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string })
    .version;
  const out = execFileSync(process.execPath, [path.join(root, "bin", "vsp"), "--version"], {
    encoding: "utf8",
  });
  assert.equal(out.trim(), want);
});
