// --json output escapes every control character, C1 included, and stays valid JSON.
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonText } from "../../src/output.js";

test("C1 controls and DEL are escaped; the JSON still parses to the same value", () => {
  const value = { failure: "boom\u009b31m\u007f\u001b[2J", ok: "plain é" };
  const text = jsonText(value);
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  assert.deepEqual(JSON.parse(text), value);
});
