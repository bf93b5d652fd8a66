// kv read tokens: one batch token per policy, minted once for every caller waiting, reused while
// it has a minute left, replaced when Vault refuses it; and the provider's kv path with them:
// one read per delivered value, the task named in the read's headers, no accessor to track.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { GetSecretRequest } from "../../common/contract.js";
import { Deadline } from "../../plugin-src/deadline.js";
import { SecretProvider } from "../../plugin-src/provider.js";
import { ReadTokens } from "../../plugin-src/read-tokens.js";
import type { Revoker } from "../../plugin-src/revoker.js";
import {
  type VaultCall,
  type VaultHttpClient,
  VaultHttpError,
  type VaultResponse,
} from "../../plugin-src/vault-http.js";

test("one mint per policy for concurrent callers; reused while a minute is left; then minted again", async () => {
  let now = 0;
  const mints: string[] = [];
  const tokens = new ReadTokens(
    async (policy) => {
      mints.push(policy);
      await new Promise((r) => setImmediate(r));
      return { token: `b.${policy}.${mints.length}`, ttlSeconds: 120 };
    },
    () => now,
  );
  const first = await Promise.all([1, 2, 3].map(() => tokens.get("swarm-a", "a")));
  assert.deepEqual(first, ["b.swarm-a.1", "b.swarm-a.1", "b.swarm-a.1"]);
  assert.equal(await tokens.get("swarm-b", "b"), "b.swarm-b.2");
  now = 59_000;
  assert.equal(await tokens.get("swarm-a", "a"), "b.swarm-a.1", "61 s left: reused");
  now = 61_000;
  assert.equal(await tokens.get("swarm-a", "a"), "b.swarm-a.3", "59 s left: a new one");
  tokens.drop("swarm-a", "b.swarm-a.3");
  assert.equal(await tokens.get("swarm-a", "a"), "b.swarm-a.4");
  tokens.drop("swarm-a", "b.swarm-a.3"); // an older token: the current one stays
  assert.equal(await tokens.get("swarm-a", "a"), "b.swarm-a.4");
  assert.deepEqual(mints, ["swarm-a", "swarm-b", "swarm-a", "swarm-a"]);
});

test("a failed mint is not cached: the next caller tries again", async () => {
  let fail = true;
  const tokens = new ReadTokens(async () => {
    if (fail) throw new Error("Vault is sealed");
    return { token: "b.ok", ttlSeconds: 120 };
  });
  await assert.rejects(tokens.get("p", "s"), /sealed/);
  fail = false;
  assert.equal(await tokens.get("p", "s"), "b.ok");
});

class Vault {
  calls: VaultCall[] = [];
  mints = 0;
  stale = new Set<string>();
  async call(c: VaultCall): Promise<VaultResponse> {
    this.calls.push(c);
    if (c.path === "auth/token/create/vsp-task-read") {
      this.mints++;
      return { auth: { client_token: `b.read${this.mints}`, accessor: "", lease_duration: 120 } };
    }
    if (c.path.startsWith("sys/internal/ui/mounts/"))
      return { data: { path: "secret/", type: "kv", options: { version: "2" } } };
    if (c.path === "secret/data/app") {
      if (this.stale.has(c.token ?? ""))
        throw new VaultHttpError("permission denied", 403, ["permission denied"]);
      return { data: { data: { password: "pw" }, metadata: { version: 3 } } };
    }
    throw new Error(`unscripted ${c.method} ${c.path}`);
  }
}

const none: Revoker & { beforeMint(): Promise<void>; issued(): void } = {
  lookup: async () => undefined,
  revoke: async () => "revoked" as const,
  beforeMint: async () => undefined,
  issued: () => undefined,
};

function provider(vault: Vault): SecretProvider {
  return new SecretProvider(
    vault as unknown as VaultHttpClient,
    { withToken: (fn) => fn("plugin-token") },
    none,
    none,
    { name: "vsp", policyPrefix: "swarm-" },
  );
}

const req = (task: string): GetSecretRequest => ({
  SecretName: "app_db",
  SecretLabels: { "vsp.path": "secret/app", "vsp.field": "password" },
  ServiceName: "app_web",
  ServiceID: "svc1",
  TaskID: task,
});

test("kv through the provider: 10 values, 1 read token, 1 read each, the task in the read's headers", async () => {
  const vault = new Vault();
  const p = provider(vault);
  for (let i = 0; i < 10; i++) {
    const issued = await p.getSecret(req(`task${i}`), new Deadline(5000));
    assert.equal(issued.value.toString(), "pw");
    assert.equal(issued.accessor, undefined, "nothing to revoke: a batch token has no accessor");
  }
  assert.equal(vault.mints, 1);
  const reads = vault.calls.filter((c) => c.path === "secret/data/app");
  assert.equal(reads.length, 10);
  assert.deepEqual(reads[3]!.headers, { "X-Vsp-Task-Id": "task3", "X-Vsp-Service": "app_web" });
  const mint = vault.calls.find((c) => c.path === "auth/token/create/vsp-task-read")!;
  assert.deepEqual((mint.body as { policies: string[] }).policies, ["swarm-app_web"]);
  // A task ID that is not a plain identifier is not sent as a header.
  await p.getSecret({ ...req("bad\r\nX-Injected: 1") }, new Deadline(5000));
  assert.deepEqual(vault.calls.at(-1)!.headers, { "X-Vsp-Service": "app_web" });
});

test("a read token Vault refuses is replaced once; a second refusal is the policy's answer", async () => {
  const vault = new Vault();
  const p = provider(vault);
  await p.getSecret(req("t1"), new Deadline(5000));
  vault.stale.add("b.read1");
  assert.equal((await p.getSecret(req("t2"), new Deadline(5000))).value.toString(), "pw");
  assert.equal(vault.mints, 2);
  vault.stale.add("b.read2");
  vault.stale.add("b.read3");
  await assert.rejects(p.getSecret(req("t3"), new Deadline(5000)), /policy "swarm-app_web" does not allow/);
  assert.equal(vault.mints, 3);
});
