import assert from "node:assert/strict";
import { test } from "node:test";
import { printable } from "../../common/printable.js";
import { parseLabels } from "../../common/secret-labels.js";
import { decodeGetSecret, encodeError, encodeValue } from "../../plugin-src/codec.js";
import { renderData } from "../../plugin-src/formats.js";

test("decodes the documented keys and ignores unknown ones", () => {
  const req = decodeGetSecret(
    Buffer.from(JSON.stringify({ SecretName: "s", SecretLabels: { a: "b" }, TaskID: "t", Extra: 1 })),
  );
  assert.deepEqual(req, { SecretName: "s", SecretLabels: { a: "b" }, TaskID: "t" });
});

test("refuses wrong types and broken JSON", () => {
  assert.throws(() => decodeGetSecret(Buffer.from("{")), /not valid JSON/);
  assert.throws(() => decodeGetSecret(Buffer.from("[]")), /not a JSON object/);
  assert.throws(() => decodeGetSecret(Buffer.from('{"ServiceName": 3}')), /must be a string/);
  assert.throws(() => decodeGetSecret(Buffer.from('{"SecretLabels": {"a": 1}}')), /values must be strings/);
});

test("responses: base64 value with DoNotReuse, or a non-empty Err", () => {
  assert.deepEqual(encodeValue(Buffer.from("hi")), { Value: "aGk=", DoNotReuse: true });
  assert.equal(encodeError("").Err, "vsp: unknown error");
});

test("formats render fields, JSON, meta and env; a missing field is an error", () => {
  const data = { password: "p", user: "u", n: 3 };
  assert.equal(renderData(parseLabels({ "vsp.field": "password" }), data, {}, "x"), "p");
  assert.equal(renderData(parseLabels({ "vsp.field": "n" }), data, {}, "x"), "3");
  assert.equal(renderData(parseLabels({ "vsp.format": "json" }), data, {}, "x"), JSON.stringify(data));
  assert.equal(
    renderData(parseLabels({ "vsp.format": "meta+json" }), data, { whole: 1 }, "x"),
    '{"whole":1}',
  );
  assert.equal(renderData(parseLabels({ "vsp.format": "env" }), data, {}, "x"), "password=p\nuser=u\nn=3\n");
  assert.throws(
    () => renderData(parseLabels({}), data, {}, "secret/x"),
    /field "value" not found at secret\/x \(fields there: password, user, n\)/,
  );
  assert.throws(
    () => renderData(parseLabels({ "vsp.format": "env" }), { "a-b": "x" }, {}, "x"),
    /not a valid env/,
  );
  assert.throws(() => renderData(parseLabels({ "vsp.format": "env" }), { a: "x\ny" }, {}, "x"), /line break/);
});

test("user input in messages is bounded and escaped", () => {
  assert.equal(printable('a"\n'), "a\\u0022\\u000a");
  assert.ok(printable("x".repeat(500)).length < 100);
});
