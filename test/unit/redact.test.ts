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

test("structural redaction blanks token-bearing fields at any depth, whatever they look like", async () => {
  const { redactFields } = await import("../../common/redact.js");
  const out = redactFields({
    error: "permission denied for s.abcdefghijklmnopqrstuvwx",
    nested: { client_token: "short", list: [{ "X-Vault-Token": "t0k" }, "fine"] },
    accessor: "kept-accessor",
  });
  assert.deepEqual(out, {
    error: "permission denied for [redacted]",
    nested: { client_token: "[redacted]", list: [{ "X-Vault-Token": "[redacted]" }, "fine"] },
    accessor: "kept-accessor",
  });
});

test("the plugin's log line redacts free-text and nested fields, and leaves identifiers alone", async () => {
  const { jsonLogger } = await import("../../plugin-src/log.js");
  const lines: string[] = [];
  const log = jsonLogger((t) => lines.push(t));
  log({
    msg: "GetSecret",
    task_id: "abc",
    error: 'vault said {"token":"s.abcdefghijklmnopqrstuvwx"}',
    extra: { token: "x" },
  });
  await new Promise((r) => setImmediate(r));
  const line = JSON.parse(lines.join("")) as Record<string, unknown>;
  assert.equal(line.task_id, "abc");
  assert.doesNotMatch(String(line.error), /abcdefghijklmnop/);
  assert.deepEqual(line.extra, { token: "[redacted]" });
});
