// The generated completion scripts, exercised in a real bash the way readline calls them.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const vsp = (args: string[]) =>
  execFileSync(process.execPath, [path.join(root, "bin", "vsp"), ...args], {
    encoding: "utf8",
    stdio: "pipe",
  });

function complete(script: string, line: string): string[] {
  const words = line.split(" ");
  const program = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})
COMP_CWORD=${words.length - 1}
_vsp
printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync("bash", ["--norc", "--noprofile", "-c", program], { encoding: "utf8", cwd: root })
    .split("\n")
    .filter(Boolean)
    .sort();
}

test("bash completion follows the command tree, flags, choices and file arguments", () => {
  const script = vsp(["completion", "bash"]);
  assert.deepEqual(complete(script, "vsp ch"), ["check"]);
  assert.deepEqual(complete(script, "vsp bootstrap-token "), ["--help", "rotate"]);
  assert.deepEqual(complete(script, "vsp bootstrap-token rotate --g"), ["--grace"]);
  assert.deepEqual(complete(script, "vsp --verbose check --of"), ["--offline"]);
  assert.deepEqual(complete(script, "vsp completion "), ["--help", "bash", "zsh"]);
  assert.deepEqual(complete(script, "vsp check -c compose/kv-p"), ["compose/kv-pki.yml"]);
  // test-only flags are hidden from help and from completion alike
  assert.deepEqual(complete(script, "vsp bootstrap-token rotate --fa"), []);
  assert.deepEqual(complete(script, "vsp deploy --skip"), ["--skip-build"]);
});

test("zsh gets the same function through bashcompinit; an unknown shell is a usage error", () => {
  const zsh = vsp(["completion", "zsh"]);
  assert.match(zsh, /^#compdef vsp\n/);
  assert.match(zsh, /bashcompinit/);
  assert.ok(zsh.includes(vsp(["completion", "bash"])));
  assert.throws(
    () => vsp(["completion", "fish"]),
    (err: { status?: number }) => err.status === 2,
  );
});
