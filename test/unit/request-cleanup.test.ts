// Post-mint failures and the request deadline, through the handler and the provider with a
// scripted Vault: what Vault cannot be made to do on demand (no wrap_info, a call that hangs,
// a mint answered after the deadline). Each case checks that every minted accessor is revoked.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GetSecretRequest } from "../../common/contract.js";
import { createGetSecretHandler } from "../../plugin-src/handler.js";
import { type IssuanceGuard, type MintedCredential, SecretProvider } from "../../plugin-src/provider.js";
import type { Revoker } from "../../plugin-src/revoker.js";
import type { VaultCall, VaultHttpClient, VaultResponse } from "../../plugin-src/vault-http.js";

type Script = (c: VaultCall) => Promise<VaultResponse>;

class ScriptedVault {
  minted: string[] = [];
  constructor(private readonly script: Partial<Record<string, Script>>) {}
  async call(c: VaultCall): Promise<VaultResponse> {
    const own = this.script[c.path.split("?")[0]!];
    if (c.path.startsWith("auth/token/create/")) {
      const accessor = `acc${this.minted.length + 1}`;
      this.minted.push(accessor);
      const res = own ? await own(c) : {};
      return {
        auth: { client_token: `tok-${accessor}`, accessor, lease_duration: 3600, policies: [] },
        ...res,
      };
    }
    if (own) return own(c);
    throw new Error(`unscripted Vault call ${c.method} ${c.path}`);
  }
}

class Recorder implements Revoker, IssuanceGuard {
  revoked: string[] = [];
  issuedTo: MintedCredential[] = [];
  checked = 0;
  async lookup() {
    return undefined;
  }
  async revoke(accessor: string) {
    this.revoked.push(accessor);
    return "revoked" as const;
  }
  async beforeMint() {
    this.checked++;
  }
  issued(_req: GetSecretRequest, c: MintedCredential) {
    this.issuedTo.push(c);
  }
}

function setUp(script: Partial<Record<string, Script>>, deadlineMs = 5000) {
  const vault = new ScriptedVault(script);
  const rec = new Recorder();
  const provider = new SecretProvider(
    vault as unknown as VaultHttpClient,
    { withToken: (fn) => fn("plugin-token") },
    rec,
    rec,
    { name: "vsp", policyPrefix: "swarm-" },
  );
  const logs: Record<string, unknown>[] = [];
  const handle = createGetSecretHandler(provider, (e) => logs.push(e), { repeatTtlMs: 0, deadlineMs });
  return { vault, rec, handle, logs };
}

function request(labels: Record<string, string>): GetSecretRequest {
  return {
    SecretName: "app_x",
    SecretLabels: labels,
    ServiceName: "app_web",
    ServiceID: "svc1",
    TaskID: "task1",
  };
}

const hangUntilAborted: Script = (c) =>
  new Promise((_, reject) => c.signal?.addEventListener("abort", () => reject(c.signal!.reason)));

describe("a request that fails after minting leaves nothing behind", () => {
  it("token+wrap answered without wrap_info: the minted token is revoked", async () => {
    const { vault, rec, handle } = setUp({ "auth/token/create/vsp-task": async () => ({ wrap_info: null }) });
    const { status, body } = await handle(request({ "vsp.type": "token", "vsp.wrap": "true" }));
    assert.equal(status, 500);
    assert.match(body.Err!, /did not wrap/);
    assert.deepEqual(rec.revoked, vault.minted);
    assert.equal(rec.issuedTo.length, 0);
  });

  it("a read whose value is empty: the task token and its leases are revoked", async () => {
    const { vault, rec, handle } = setUp({
      "database/creds/app": async () => ({ lease_id: "database/creds/app/l1", data: { password: "" } }),
    });
    const { body } = await handle(
      request({ "vsp.type": "read", "vsp.path": "database/creds/app", "vsp.field": "password" }),
    );
    assert.match(body.Err!, /empty value/);
    assert.deepEqual(rec.revoked, vault.minted);
    assert.equal(vault.minted.length, 1);
  });

  it("a value past Swarm's size limit: revoked", async () => {
    const { vault, rec, handle } = setUp({
      "database/creds/app": async () => ({ data: { value: "x".repeat(600 * 1024) } }),
    });
    const { body } = await handle(request({ "vsp.type": "read", "vsp.path": "database/creds/app" }));
    assert.match(body.Err!, /Swarm accepts at most/);
    assert.deepEqual(rec.revoked, vault.minted);
  });

  it("a read that hangs: the answer comes at the deadline and the token is revoked", async () => {
    const { vault, rec, handle } = setUp({ "database/creds/app": hangUntilAborted }, 300);
    const t0 = Date.now();
    const { body } = await handle(request({ "vsp.type": "read", "vsp.path": "database/creds/app" }));
    const ms = Date.now() - t0;
    assert.match(body.Err!, /longer than its 300 ms deadline/);
    assert.ok(ms >= 290 && ms < 2000, `answered after ${ms} ms`);
    assert.deepEqual(rec.revoked, vault.minted);
  });

  it("a mint answered after the deadline: the task gets the deadline error at once, the late token is revoked", async () => {
    const { vault, rec, handle } = setUp(
      { "auth/token/create/vsp-task": () => new Promise((r) => setTimeout(() => r({}), 500)) },
      200,
    );
    const t0 = Date.now();
    const { body } = await handle(request({ "vsp.type": "token" }));
    assert.ok(
      Date.now() - t0 < 450,
      "the answer did not wait for the late mint (deadline 200 ms + 50 ms grace)",
    );
    assert.match(body.Err!, /deadline/);
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(vault.minted, ["acc1"]);
    assert.deepEqual(rec.revoked, ["acc1"]);
    assert.equal(rec.issuedTo.length, 0);
  });

  it("a kv read needs no record; a token is checked before minting and recorded after", async () => {
    const { rec, handle } = setUp({
      "sys/internal/ui/mounts/secret/data/app": async () => ({
        data: { path: "secret/", type: "kv", options: { version: "2" } },
      }),
      "secret/data/app": async () => ({ data: { data: { value: "v" } } }),
    });
    assert.equal((await handle(request({ "vsp.path": "secret/data/app" }))).status, 200);
    assert.equal(rec.checked, 0);
    assert.equal((await handle(request({ "vsp.type": "token" }))).status, 200);
    assert.equal(rec.checked, 1);
    assert.deepEqual(
      rec.issuedTo.map((c) => [c.type, c.accessor, c.revoke]),
      [["token", "acc2", "task-end"]],
    );
    assert.deepEqual(rec.revoked, []);
  });
});
