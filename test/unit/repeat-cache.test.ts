import assert from "node:assert/strict";
import { test } from "node:test";
import { RepeatCache } from "../../plugin-src/repeat-cache.js";

test("a repeat gets the value already issued; concurrent repeats share one issue", async () => {
  let now = 0;
  const cache = new RepeatCache<string>(1000, 10, () => now);
  let issued = 0;
  const produce = async () => `v${++issued}`;
  const [a, b] = await Promise.all([
    cache.getOrIssue("k", produce, () => undefined),
    cache.getOrIssue("k", produce, () => undefined),
  ]);
  assert.equal(a.value, "v1");
  assert.equal(b.value, "v1");
  assert.equal(b.repeat, true);
  now = 1001;
  assert.equal((await cache.getOrIssue("k", produce, () => undefined)).value, "v2");
});

test("the value's own lifetime bounds the memory; failures are not remembered", async () => {
  let now = 0;
  const cache = new RepeatCache<string>(60_000, 10, () => now);
  await cache.getOrIssue(
    "k",
    async () => "short",
    () => 10,
  );
  now = 11;
  assert.equal(
    (
      await cache.getOrIssue(
        "k",
        async () => "next",
        () => 10,
      )
    ).value,
    "next",
  );
  await assert.rejects(
    cache.getOrIssue(
      "f",
      async () => Promise.reject(new Error("x")),
      () => undefined,
    ),
  );
  assert.equal(
    (
      await cache.getOrIssue(
        "f",
        async () => "ok",
        () => undefined,
      )
    ).value,
    "ok",
  );
});

test("the memory is bounded", async () => {
  const cache = new RepeatCache<number>(60_000, 5);
  for (let i = 0; i < 50; i++)
    await cache.getOrIssue(
      `k${i}`,
      async () => i,
      () => undefined,
    );
  assert.ok(cache.size <= 5);
});

test("a short-lived value behind a long-lived one is forgotten when it expires", async () => {
  let now = 0;
  const cache = new RepeatCache<string>(60_000, 100, () => now);
  await cache.getOrIssue(
    "long",
    async () => "l",
    () => undefined,
  );
  await cache.getOrIssue(
    "short",
    async () => "s",
    () => 5,
  );
  now = 10;
  cache.sweep();
  assert.equal(cache.size, 1);
});

test("at the bound, an entry still being issued is not evicted: its concurrent repeat shares it", async () => {
  const cache = new RepeatCache<string>(60_000, 2);
  let release: (v: string) => void = () => undefined;
  let issued = 0;
  const slow = () => {
    issued++;
    return new Promise<string>((r) => {
      release = r;
    });
  };
  const first = cache.getOrIssue("busy", slow, () => undefined);
  for (let i = 0; i < 5; i++)
    await cache.getOrIssue(
      `k${i}`,
      async () => "x",
      () => undefined,
    );
  const repeat = cache.getOrIssue("busy", slow, () => undefined);
  release("v");
  assert.equal((await first).value, "v");
  assert.deepEqual(await repeat, { value: "v", repeat: true });
  assert.equal(issued, 1);
});
