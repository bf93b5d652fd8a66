// One duration parser for labels and flags (issue: "--task-max-ttl 1h30m" parsed to NaN, a bad
// --grace exited 1 instead of 2).
import assert from "node:assert/strict";
import { test } from "node:test";
import { durationMs } from "../../common/duration.js";
import { parseDurationSeconds } from "../../common/secret-labels.js";
import { parseDurationMs } from "../../src/commands/context.js";
import { UsageError } from "../../src/errors.js";
import { toSeconds } from "../../src/services/vault-objects.js";

test("units, compounds and bare seconds", () => {
  assert.equal(durationMs("90"), 90_000);
  assert.equal(durationMs("90s"), 90_000);
  assert.equal(durationMs("1h30m"), 5_400_000);
  assert.equal(durationMs("2d"), 172_800_000);
  assert.equal(durationMs("250ms"), 250);
  for (const bad of ["", "1.5h", "h", "-5s", "5 m", "1y", "Infinity"])
    assert.equal(durationMs(bad), undefined, bad);
});

test("the flag and label front ends agree", () => {
  assert.equal(toSeconds("1h30m"), 5400);
  assert.ok(Number.isNaN(toSeconds("soon")));
  assert.equal(parseDurationSeconds("vsp.ttl", "1h30m"), 5400);
  assert.throws(() => parseDurationSeconds("vsp.ttl", "1500ms"), /whole seconds/);
  assert.equal(parseDurationMs("--grace", "1m30s"), 90_000);
  assert.throws(
    () => parseDurationMs("--grace", "soon"),
    (err: unknown) => err instanceof UsageError && /--grace: "soon" is not a duration/.test(err.message),
  );
});
