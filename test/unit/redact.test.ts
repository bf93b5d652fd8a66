import assert from "node:assert/strict";
import { test } from "node:test";
import { redact } from "../../src/errors.js";

test("tokens and token-bearing headers are removed from messages", () => {
  const msg =
    'request failed {"X-Vault-Token":"s.abcdefghijklmnopqrstuvwx","other":1} hvs.CAESIabcdefghijklmnopqrstuvwxyz token=abcd1234';
  const out = redact(msg, ["known-secret-value"]);
  assert.ok(!out.includes("s.abcdefghijklmnopqrstuvwx"));
  assert.ok(!out.includes("hvs.CAESIabcdefghijklmnopqrstuvwxyz"));
  assert.ok(!out.includes("abcd1234"));
  assert.equal(redact("value known-secret-value here", ["known-secret-value"]), "value [redacted] here");
});
