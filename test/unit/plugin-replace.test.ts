// Replacing the plugin service with fake engine steps: a new service that cannot be created or
// never comes up gives way to the previous spec again, and the error says which happened; a
// failed restore says plainly that no plugin serves now.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type PluginServiceSteps, replacePluginService } from "../../src/services/plugin-replace.js";
import type { Reporter } from "../../src/services/report.js";

const OLD = { Name: "vsp-plugin", Labels: { spec: "old" } };
const NEW = { Name: "vsp-plugin", Labels: { spec: "new" } };

function fakeSteps(fail: { create?: string; enabled?: string } = {}) {
  const running = new Map<string, string>(); // id → spec label
  const calls: string[] = [];
  let next = 0;
  let enabledSpec: string | undefined;
  const steps: PluginServiceSteps = {
    async create(spec) {
      const which = (spec as typeof OLD).Labels.spec;
      calls.push(`create ${which}`);
      if (fail.create === which) throw new Error(`engine refused the ${which} spec`);
      const id = `s${++next}`;
      running.set(id, which);
      enabledSpec = which;
      return id;
    },
    async remove(id) {
      calls.push(`remove ${running.get(id) ?? id}`);
      running.delete(id);
    },
    async waitGone() {
      calls.push("gone");
    },
    async waitEnabled() {
      calls.push("enabled?");
      if (fail.enabled === enabledSpec) throw new Error(`plugin ${enabledSpec} never enabled`);
    },
  };
  running.set("s0", "old");
  return { steps, running, calls };
}

function reporter() {
  const warnings: string[] = [];
  const r: Reporter = {
    step: () => ({ update() {}, succeed() {}, fail() {}, skip() {} }),
    info() {},
    warn: (t) => warnings.push(t),
    detail() {},
  };
  return { r, warnings };
}

test("a replacement that works: old removed, new created and enabled, no warning", async () => {
  const { steps, running, calls } = fakeSteps();
  const { r, warnings } = reporter();
  await replacePluginService(steps, { id: "s0", spec: OLD }, NEW, r);
  assert.deepEqual([...running.values()], ["new"]);
  assert.deepEqual(calls, ["remove old", "gone", "create new", "enabled?"]);
  assert.deepEqual(warnings, []);
});

test("the new service is refused: the previous spec is created again and the error says so", async () => {
  const { steps, running } = fakeSteps({ create: "new" });
  const { r, warnings } = reporter();
  await assert.rejects(replacePluginService(steps, { id: "s0", spec: OLD }, NEW, r), (err: Error) => {
    assert.match(err.message, /engine refused the new spec; the previous plugin service was put back/);
    return true;
  });
  assert.deepEqual([...running.values()], ["old"], "a plugin service runs afterwards");
  assert.equal(warnings.length, 1);
});

test("the new plugin never comes up: it is removed and the previous one comes back", async () => {
  const { steps, running, calls } = fakeSteps({ enabled: "new" });
  const { r } = reporter();
  await assert.rejects(replacePluginService(steps, { id: "s0", spec: OLD }, NEW, r), /put back/);
  assert.deepEqual([...running.values()], ["old"]);
  assert.deepEqual(calls, [
    "remove old",
    "gone",
    "create new",
    "enabled?",
    "remove new",
    "gone",
    "create old",
    "enabled?",
  ]);
});

test("the restore fails too: the error says no plugin serves secrets now", async () => {
  const { steps, running } = fakeSteps({ create: "new", enabled: "old" });
  const { r } = reporter();
  await assert.rejects(replacePluginService(steps, { id: "s0", spec: OLD }, NEW, r), (err: Error) => {
    assert.match(
      err.message,
      /could not be put back \(plugin old never enabled\): no plugin serves secrets now/,
    );
    return true;
  });
  assert.deepEqual([...running.values()], ["old"]);
});

test("a first deploy has nothing to put back: the engine's error is the error", async () => {
  const { steps, running } = fakeSteps({ create: "new" });
  running.clear();
  const { r, warnings } = reporter();
  await assert.rejects(replacePluginService(steps, undefined, NEW, r), /engine refused the new spec/);
  assert.deepEqual(warnings, []);
});
