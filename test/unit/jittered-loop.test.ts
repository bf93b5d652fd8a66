// The background loop with mocked timers and clock: every interval ±20 % by default; a pass that
// names when it is next needed brings the next pass forward (a before-expiry rollout starts at
// two thirds of a credential's life, not up to one interval later), never closer than MIN_GAP_MS.
import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { JitteredLoop, MIN_GAP_MS } from "../../plugin-src/jittered-loop.js";

const flush = () => new Promise((res) => setImmediate(res));

test("a pass's wish brings the next pass forward; without one the interval holds", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  const runs: number[] = [];
  const wishes: (number | undefined)[] = [5_000, -1, undefined];
  const loop = new JitteredLoop(
    20_000,
    async () => {
      runs.push(Date.now());
      const w = wishes[runs.length - 1];
      return w === undefined ? undefined : { nextPassBy: Date.now() + w };
    },
    () => undefined,
    "test pass failed",
  );
  try {
    loop.start();
    mock.timers.tick(15_999);
    await flush();
    assert.equal(runs.length, 0, "not before 80 % of the interval");
    mock.timers.tick(8_001);
    await flush();
    assert.equal(runs.length, 1);
    assert.ok(runs[0]! >= 16_000 && runs[0]! <= 24_000);
    mock.timers.tick(5_000);
    await flush();
    assert.deepEqual(runs.slice(1), [runs[0]! + 5_000], "at the time the pass asked for");
    mock.timers.tick(MIN_GAP_MS);
    await flush();
    assert.deepEqual(runs.slice(2), [runs[1]! + MIN_GAP_MS], "a time already past: after the minimum gap");
    mock.timers.tick(15_999);
    await flush();
    assert.equal(runs.length, 3, "no wish: back to the interval");
    mock.timers.tick(8_001);
    await flush();
    assert.equal(runs.length, 4);
  } finally {
    loop.stop();
    mock.timers.reset();
  }
});
