// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose interpolation syntax is what is under test
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { interpolate, labelMap, loadStack } from "../../src/services/stack-file.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vsp-stack-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

test("interpolation follows docker's rules", () => {
  const unset = new Set<string>();
  const env = { A: "a", EMPTY: "" };
  const i = (t: string) => interpolate(t, env, "x", unset);
  assert.equal(i("$A-${A}-$$A"), "a-a-$A");
  assert.equal(i("${EMPTY:-d}|${EMPTY-d}|${NOPE-d}|${NOPE:-${A}}"), "d||d|a");
  assert.equal(i("${A:+alt}|${EMPTY:+alt}|${EMPTY+alt}|${NOPE+alt}"), "alt||alt|");
  assert.equal(i("${NOPE}x"), "x");
  assert.deepEqual([...unset], ["NOPE"]);
  assert.throws(() => i("${NOPE:?needs a value}"), /required variable NOPE is not set: needs a value/);
  assert.throws(() => i("${EMPTY:?e}"), /EMPTY is empty/);
  assert.equal(i("${EMPTY?e}"), "");
  assert.throws(() => i("${A"), /unterminated/);
  assert.throws(() => i("a $ b"), /invalid "\$"/);
  assert.throws(() => i("${1A}"), /invalid variable/);
});

test("labels as a map or a list; scalars become strings", () => {
  assert.deepEqual(labelMap({ "vsp.num-uses": 3, "vsp.wrap": true, "vsp.x": null }, "s"), {
    "vsp.num-uses": "3",
    "vsp.wrap": "true",
    "vsp.x": "",
  });
  assert.deepEqual(labelMap(["vsp.path=a=b", "flag"], "s"), { "vsp.path": "a=b", flag: "" });
  assert.throws(() => labelMap("text", "s"), /neither a mapping nor a list/);
  assert.throws(() => labelMap({ k: { deep: 1 } }, "s"), /not a scalar/);
});

test("several files merge as docker stack deploy merges them", () => {
  const base = file(
    "base.yml",
    `x-labels: &common
  vsp.format: json
services:
  api:
    image: a
    secrets: [one, {source: two, target: t2}]
  web:
    image: w
secrets:
  one: {driver: vsp, labels: {<<: *common, vsp.path: "secret/\${APP:-shop}/one"}}
  two: {driver: vsp, name: fixed-name, labels: [vsp.type=token]}
  three: {file: ./three.txt}
`,
  );
  const over = file(
    "over.yml",
    `services:
  api:
    secrets: [{source: two, target: other}, three]
  web:
    secrets: [one]
secrets:
  one: {driver: other-driver}
`,
  );
  const stack = loadStack([base, over], { APP: "billing" }, "st");
  assert.equal(stack.name, "st");
  assert.deepEqual(
    stack.services.map((s) => [s.name, s.secrets]),
    [
      ["st_api", ["one", "two", "three"]],
      ["st_web", ["one"]],
    ],
  );
  const byKey = Object.fromEntries(stack.secrets.map((s) => [s.key, s]));
  // top-level secrets are replaced per key by a later file
  assert.equal(byKey.one!.driver, "other-driver");
  assert.deepEqual(byKey.one!.labels, {});
  assert.equal(byKey.two!.name, "fixed-name");
  assert.deepEqual(byKey.two!.labels, { "vsp.type": "token" });
  assert.equal(byKey.three!.name, "st_three");

  const single = loadStack([base], {}, "st");
  assert.deepEqual(single.secrets.find((s) => s.key === "one")!.labels, {
    "vsp.format": "json",
    "vsp.path": "secret/shop/one",
  });
});

test("the stack name defaults to the file's name: or its base name, and is validated", () => {
  assert.equal(loadStack([file("shop.yml", "services: {}\n")], {}).name, "shop");
  assert.equal(loadStack([file("named.yml", "name: billing\nservices: {}\n")], {}).name, "billing");
  assert.throws(() => loadStack([file("s.yml", "services: {}\n")], {}, "bad name"), /not valid/);
});

test("unreadable or malformed files fail with the file named", () => {
  assert.throws(() => loadStack([path.join(dir, "missing.yml")], {}), /cannot read .*missing\.yml: ENOENT/);
  assert.throws(() => loadStack([file("bad.yml", "services: [\n")], {}), /bad\.yml: not valid YAML/);
  assert.throws(() => loadStack([file("dup.yml", "a: 1\na: 2\n")], {}), /dup\.yml: not valid YAML/);
  assert.throws(() => loadStack([file("list.yml", "- a\n")], {}), /top level is not a mapping/);
  assert.throws(() => loadStack([], {}), /no compose file/);
});
