import assert from "node:assert/strict";
import { test } from "node:test";
import { checkPath, substitute } from "../../common/placeholders.js";
import { parseLabels } from "../../common/secret-labels.js";

const LEGACY = "dk.almbrand.docker.plugin.secretprovider.vault.";

test("defaults: kv, plain, no wrap", () => {
  assert.deepEqual(parseLabels({}), { type: "kv", format: "plain", revoke: "task-end", data: {} });
});

test("labels outside vsp. are not ours (stack namespace label)", () => {
  assert.equal(parseLabels({ "com.docker.stack.namespace": "s", "vsp.field": "x" }).field, "x");
});

test("the proof of concept's prefix is an alias; vault_token is token", () => {
  const spec = parseLabels({ [`${LEGACY}type`]: "vault_token", [`${LEGACY}wrap`]: "true" });
  assert.equal(spec.type, "token");
  assert.equal(spec.wrapSeconds, 300);
});

test("the proof of concept's json label maps to format json, under its own prefix only", () => {
  assert.equal(parseLabels({ [`${LEGACY}json`]: "true" }).format, "json");
  assert.equal(parseLabels({ [`${LEGACY}json`]: "false" }).format, "plain");
  assert.throws(() => parseLabels({ "vsp.json": "true" }), /unknown label vsp\.json/);
  assert.throws(() => parseLabels({ [`${LEGACY}json`]: "yes" }), /not true or false/);
});

test("the two prefixes may not disagree", () => {
  assert.throws(() => parseLabels({ "vsp.field": "a", [`${LEGACY}field`]: "b" }), /disagree/);
});

test("unknown vsp labels are errors naming the label", () => {
  assert.throws(() => parseLabels({ "vsp.policies": "root" }), /unknown label vsp\.policies/);
  assert.throws(() => parseLabels({ "vsp.typo": "x" }), /unknown label vsp\.typo/);
});

test("bad values are refused with what was wrong", () => {
  assert.throws(() => parseLabels({ "vsp.type": "ssh" }), /vsp\.type: "ssh" is not/);
  assert.throws(() => parseLabels({ "vsp.format": "yaml" }), /vsp\.format/);
  assert.throws(() => parseLabels({ "vsp.version": "-1" }), /positive integer/);
  assert.throws(() => parseLabels({ "vsp.type": "token", "vsp.ttl": "5 minutes" }), /not a duration/);
  assert.throws(() => parseLabels({ "vsp.wrap": "0s" }), /from 1s to 10 years/);
  assert.throws(() => parseLabels({ "vsp.type": "read" }), /needs label vsp\.path/);
  assert.throws(() => parseLabels({ "vsp.data.x": "1" }), /only to type write/);
  assert.throws(() => parseLabels({ "vsp.num-uses": "1" }), /only to type token/);
  assert.throws(
    () => parseLabels({ "vsp.type": "write", "vsp.path": "x", "vsp.wrap": "true", "vsp.field": "a" }),
    /cannot be combined/,
  );
});

test("durations: units, sums and bare seconds", () => {
  const spec = parseLabels({
    "vsp.type": "token",
    "vsp.ttl": "1h30m",
    "vsp.num-uses": "3",
  });
  assert.equal(spec.ttlSeconds, 5400);
  assert.equal(spec.numUses, 3);
  assert.equal(parseLabels({ "vsp.wrap": "90s" }).wrapSeconds, 90);
  assert.equal(parseLabels({ "vsp.wrap": "24h" }).wrapSeconds, 86_400);
  assert.throws(() => parseLabels({ "vsp.wrap": "25h" }), /longer than 24h/);
  assert.throws(
    () => parseLabels({ "vsp.type": "token", "vsp.period": "90" }),
    /vsp\.period is not supported/,
  );
});

test("write collects data.* fields", () => {
  const spec = parseLabels({
    "vsp.type": "write",
    "vsp.path": "pki/issue/web",
    "vsp.data.common_name": "{task_id}.x",
  });
  assert.deepEqual(spec.data, { common_name: "{task_id}.x" });
});

test("huge label maps are bounded", () => {
  const labels: Record<string, string> = {};
  for (let i = 0; i < 100; i++) labels[`vsp.data.k${i}`] = "v";
  assert.throws(() => parseLabels(labels), /more than 64/);
});

const values = {
  service: "app_web",
  stack: "app",
  secret: "app_db",
  task: "t.1",
  task_id: "abc",
  service_id: "s1",
  node_id: "n1",
};

test("placeholders are substituted", () => {
  assert.equal(substitute("p", "secret/{stack}/{service}/{task_id}", values), "secret/app/app_web/abc");
});

test("placeholders holding / or .. or unknown names are refused", () => {
  assert.throws(
    () => substitute("p", "x/{service}", { ...values, service: "a/b" }),
    /outside \[A-Za-z0-9._-\]/,
  );
  assert.throws(() => substitute("p", "x/{service}", { ...values, service: ".." }), /refused/);
  assert.throws(() => substitute("p", "x/{nope}", values), /unknown placeholder/);
  assert.throws(() => substitute("p", "x/{stack}", { ...values, stack: undefined }), /no value/);
});

test("paths with .. segments or odd characters are refused", () => {
  assert.equal(checkPath("p", "/secret/app/"), "secret/app");
  assert.throws(() => checkPath("p", "secret/../sys/policies"), /segment/);
  assert.throws(() => checkPath("p", "secret//x"), /segment/);
  assert.throws(() => checkPath("p", "secret/x?list=true"), /use only/);
  assert.throws(() => checkPath("p", "secret/x\n"), /use only/);
});
