// The run lock against a fake config store with the engine's semantics (a taken name answers 409):
// two runs of one deployment never overlap, the second says who holds the lock, the lock goes
// when a run ends or throws, a stale lock is taken over, and a forged one is printed escaped.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LOCK_LABELS, runLockName } from "../../common/contract.js";
import type { Engine } from "../../src/docker/engine.js";
import { VspError } from "../../src/errors.js";
import { STALE_LOCK_MS, withRunLock } from "../../src/services/run-lock.js";

interface StoredConfig {
  ID: string;
  Spec: { Name: string; Labels: Record<string, string> };
}

/** The slice of the engine's config API the lock uses. */
function fakeEngine() {
  const configs = new Map<string, StoredConfig>();
  let next = 0;
  const engine = {
    async createConfig(o: { Name: string; Labels: Record<string, string> }) {
      await Promise.resolve();
      if ([...configs.values()].some((c) => c.Spec.Name === o.Name))
        throw Object.assign(new Error(`rpc error: name conflicts with an existing object`), {
          statusCode: 409,
        });
      const ID = `cfg${++next}`;
      configs.set(ID, { ID, Spec: { Name: o.Name, Labels: o.Labels } });
      return { id: ID };
    },
    async listConfigs(o: { filters: string }) {
      const names = (JSON.parse(o.filters) as { name?: string[] }).name ?? [];
      return [...configs.values()].filter((c) => names.some((n) => c.Spec.Name.includes(n)));
    },
    getConfig(id: string) {
      return {
        async remove() {
          if (!configs.delete(id)) throw Object.assign(new Error("not found"), { statusCode: 404 });
        },
      };
    },
  };
  return { engine: engine as unknown as Engine, configs };
}

test("two runs of one deployment: the second stops at once and names the first", async () => {
  const { engine, configs } = fakeEngine();
  let release!: () => void;
  const firstRunning = new Promise<void>((res) => {
    release = res;
  });
  const order: string[] = [];
  const first = withRunLock(
    engine,
    "vsp",
    "deploy",
    async () => {
      order.push("first in");
      await firstRunning;
      order.push("first out");
    },
    { host: "m1", pid: 41 },
  );
  await new Promise((res) => setImmediate(res));
  await assert.rejects(
    withRunLock(engine, "vsp", "rotate", async () => order.push("second ran"), { host: "m2", pid: 42 }),
    (err: VspError) => {
      assert.ok(err instanceof VspError);
      assert.match(err.message, /another run is changing deployment "vsp" \(vsp deploy on m1 pid 41 since /);
      assert.match(err.hint ?? "", /docker config rm vsp-lock/);
      return true;
    },
  );
  release();
  await first;
  assert.deepEqual(order, ["first in", "first out"]);
  assert.equal(configs.size, 0, "the lock is gone when the run ends");
  // Another deployment's lock is its own.
  await withRunLock(engine, "other", "deploy", async () => {
    await withRunLock(engine, "vsp", "remove", async () => assert.equal(configs.size, 2));
  });
});

test("a run that throws still releases the lock", async () => {
  const { engine, configs } = fakeEngine();
  await assert.rejects(
    withRunLock(engine, "vsp", "rotate", async () => {
      throw new Error("rotation step failed");
    }),
    /rotation step failed/,
  );
  assert.equal(configs.size, 0);
  assert.equal(await withRunLock(engine, "vsp", "rotate", async () => "ran"), "ran");
});

test("a lock older than the stale limit is taken over; one without a readable time is not", async () => {
  const { engine, configs } = fakeEngine();
  const now = Date.parse("2026-12-02T10:00:00Z");
  const plant = (since: string, extra: Record<string, string> = {}) =>
    configs.set("old", {
      ID: "old",
      Spec: {
        Name: runLockName("vsp"),
        Labels: { [LOCK_LABELS.command]: "deploy", [LOCK_LABELS.since]: since, ...extra },
      },
    });
  plant(new Date(now - STALE_LOCK_MS - 1000).toISOString());
  assert.equal(
    await withRunLock(engine, "vsp", "deploy", async () => [...configs.keys()].join(), { now: () => now }),
    "cfg1",
  );
  assert.equal(configs.size, 0);

  plant(new Date(now - STALE_LOCK_MS + 60_000).toISOString());
  await assert.rejects(
    withRunLock(engine, "vsp", "deploy", async () => 0, { now: () => now }),
    /another run/,
  );
  assert.ok(configs.has("old"), "a fresh lock is left alone");

  plant("whenever", { [LOCK_LABELS.host]: "evil\u001b[2J\nhost" });
  await assert.rejects(
    withRunLock(engine, "vsp", "deploy", async () => 0, { now: () => now }),
    (err: Error) => {
      assert.doesNotMatch(
        err.message,
        /[\u0000-\u001f]/,
        "no control character from a label reaches the message",
      );
      assert.match(err.message, /evil\\u001b\[2J\\u000ahost/);
      return true;
    },
  );
});

test("a lock left by a killed run of this host is taken over at once; another host's is not", async () => {
  const { engine, configs } = fakeEngine();
  const now = Date.parse("2026-12-02T10:00:00Z");
  const plant = (host: string) =>
    configs.set("old", {
      ID: "old",
      Spec: {
        Name: runLockName("vsp"),
        Labels: {
          [LOCK_LABELS.command]: "rotate",
          [LOCK_LABELS.host]: host,
          [LOCK_LABELS.pid]: "4242",
          [LOCK_LABELS.since]: new Date(now - 60_000).toISOString(),
        },
      },
    });
  const o = { now: () => now, host: "m1", alive: (pid: number) => pid !== 4242 };
  plant("m1");
  assert.equal(await withRunLock(engine, "vsp", "rotate", async () => "ran", o), "ran");
  assert.equal(configs.size, 0);
  plant("m2");
  await assert.rejects(
    withRunLock(engine, "vsp", "rotate", async () => "ran", o),
    /vsp rotate on m2 pid 4242/,
  );
  plant("m1");
  await assert.rejects(
    withRunLock(engine, "vsp", "rotate", async () => "ran", { ...o, alive: () => true }),
    /another run/,
    "a live process keeps its lock",
  );
});
