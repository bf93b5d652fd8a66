// The handler's repeat memory keeps credentials only: a repeated token request gets the token
// already issued, a repeated plain kv request reads again, and kv reads leave nothing in memory.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { GetSecretRequest } from "../../common/contract.js";
import { createGetSecretHandler } from "../../plugin-src/handler.js";
import type { Issued } from "../../plugin-src/provider.js";
import { RepeatCache } from "../../plugin-src/repeat-cache.js";

function countingProvider(credential: boolean) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    getSecret: async (): Promise<Issued> => {
      calls++;
      return {
        value: Buffer.from(`v${calls}`),
        type: credential ? "token" : "kv",
        credential,
        validSeconds: 600,
      };
    },
  };
}

const req: GetSecretRequest = { SecretName: "s", ServiceName: "app", ServiceID: "svc", TaskID: "task1" };

for (const [kind, credential, wantCalls, wantOutcomes] of [
  ["a token (a credential)", true, 1, ["ok", "repeat"]],
  ["a plain kv value", false, 2, ["ok", "ok"]],
] as const) {
  test(`a repeated request for ${kind}: provider asked ${wantCalls}×`, async () => {
    const provider = countingProvider(credential);
    const logs: Record<string, unknown>[] = [];
    const handle = createGetSecretHandler(provider, (e) => logs.push(e), { repeatTtlMs: 60_000 });
    const a = await handle(req);
    const b = await handle(req);
    assert.equal(provider.calls, wantCalls);
    assert.deepEqual(
      logs.map((l) => l.outcome),
      wantOutcomes,
    );
    assert.equal(a.body.Value === b.body.Value, credential, "a repeat gets the same credential");
  });
}

test("a value produced with a bound of 0 is not remembered; concurrent repeats still share it", async () => {
  const cache = new RepeatCache<string>(60_000, 10);
  let produced = 0;
  const produce = async () => `v${++produced}`;
  const [a, b] = await Promise.all([
    cache.getOrIssue("k", produce, () => 0),
    cache.getOrIssue("k", produce, () => 0),
  ]);
  assert.equal(a.value, b.value);
  assert.equal(b.repeat, true);
  assert.equal(cache.size, 0);
  assert.equal((await cache.getOrIssue("k", produce, () => 0)).value, "v2");
});
