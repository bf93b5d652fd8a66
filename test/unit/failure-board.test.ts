// The failure board against a fake engine: writes never overlap, a failed write is retried,
// and the warning comes once per run of failures.
import assert from "node:assert/strict";
import { test } from "node:test";
import type Docker from "dockerode";
import { FailureBoard } from "../../plugin-src/failure-board.js";

class FakeEngine {
  configs = new Map<string, { version: number; labels: Record<string, string> }>();
  inFlight = 0;
  maxInFlight = 0;
  failNext = 0;
  writes = 0;
  private async enter<T>(fn: () => T): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 5));
    this.inFlight--;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("rpc error: update out of sequence");
    }
    this.writes++;
    return fn();
  }
  async listConfigs() {
    return [...this.configs].map(([name, c]) => ({
      ID: name,
      Version: { Index: c.version },
      Spec: { Name: name },
    }));
  }
  createConfig(spec: { Name: string; Labels: Record<string, string> }) {
    return this.enter(() => this.configs.set(spec.Name, { version: 1, labels: spec.Labels }));
  }
  getConfig(id: string) {
    return {
      update: (spec: { version: number; Labels: Record<string, string> }) =>
        this.enter(() => {
          const c = this.configs.get(id)!;
          if (c.version !== spec.version) throw new Error("update out of sequence");
          this.configs.set(id, { version: c.version + 1, labels: spec.Labels });
        }),
    };
  }
}

const failuresOf = (engine: FakeEngine) =>
  JSON.parse([...engine.configs.values()][0]?.labels["com.vsp.failures"] ?? "[]") as { service: string }[];

test("flushes never overlap, and the last state is written", async () => {
  const engine = new FakeEngine();
  const board = new FailureBoard(
    engine as unknown as Docker,
    "vsp",
    async () => "node1",
    () => undefined,
    10_000,
  );
  try {
    board.record("a", "boom");
    const first = board.flush();
    board.record("b", "boom");
    const second = board.flush();
    await Promise.all([first, second]);
    assert.equal(engine.maxInFlight, 1);
    await new Promise((r) => setTimeout(r, 50));
    await board.flush();
    assert.deepEqual(
      failuresOf(engine)
        .map((f) => f.service)
        .sort(),
      ["a", "b"],
    );
  } finally {
    board.stop();
  }
});

test("a failed write is retried, and warned about once per run of failures", async () => {
  const engine = new FakeEngine();
  engine.failNext = 2;
  const logs: Record<string, unknown>[] = [];
  const board = new FailureBoard(
    engine as unknown as Docker,
    "vsp",
    async () => "node1",
    (e) => logs.push(e),
    10,
  );
  try {
    board.record("a", "boom");
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(
      failuresOf(engine).map((f) => f.service),
      ["a"],
    );
    assert.equal(logs.filter((l) => l.level === "warn").length, 1);
  } finally {
    board.stop();
  }
});
