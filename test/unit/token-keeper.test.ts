// The bootstrap token keeper with a scripted Vault and helper: a reload during a renewal keeps
// the new token, and failed renewals back off instead of retrying at a fixed pace.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ProviderError } from "../../plugin-src/errors.js";
import { TokenKeeper } from "../../plugin-src/token-keeper.js";
import { type VaultCall, type VaultHttpClient, VaultHttpError } from "../../plugin-src/vault-http.js";

class Helper {
  reads = 0;
  async readToken() {
    return `t${++this.reads}`;
  }
}

function vaultWith(renew: (token: string) => Promise<Record<string, unknown>>) {
  return {
    async call(c: VaultCall) {
      if (c.path === "auth/token/lookup-self")
        return { data: { accessor: `acc-${c.token}`, ttl: 86_400, renewable: true } };
      if (c.path === "auth/token/renew-self") return renew(c.token!);
      throw new Error(`unscripted ${c.path}`);
    },
  } as unknown as VaultHttpClient;
}

test("a renewal answered after a reload swapped the token leaves the new token in place", async () => {
  let answer: (err: Error) => void = () => undefined;
  const helper = new Helper();
  const keeper = new TokenKeeper(
    vaultWith(
      () =>
        new Promise((_, reject) => {
          answer = reject;
        }),
    ),
    helper,
    () => undefined,
  );
  try {
    assert.equal(await keeper.current(), "t1");
    const renewing = keeper.renew();
    assert.equal(await keeper.reload(), "t2");
    answer(
      new VaultHttpError("Vault POST auth/token/renew-self: permission denied", 403, ["permission denied"]),
    );
    await renewing;
    assert.equal(await keeper.current(), "t2");
    assert.equal(helper.reads, 2, "the helper was not read a third time");
  } finally {
    keeper.stop();
  }
});

test("renewals that fail on an unreachable Vault back off, with jitter", async () => {
  const keeper = new TokenKeeper(
    vaultWith(async () => {
      throw new ProviderError("Vault at http://x is unreachable", "vault");
    }),
    new Helper(),
    () => undefined,
  );
  try {
    await keeper.current();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      await keeper.renew();
      delays.push(keeper.nextRenewalMs!);
    }
    const bases = [5000, 10_000, 20_000, 40_000];
    for (const [i, d] of delays.entries())
      assert.ok(d >= bases[i]! * 0.8 && d <= bases[i]! * 1.2, `try ${i + 1}: ${d} ms`);
  } finally {
    keeper.stop();
  }
});
