// Issuance ledger and reaper against in-memory fakes of Swarm and Vault: the stateful rules
// (one credential per task and secret, revoke only verified task tokens of ended tasks, keep
// going when Swarm or Vault fail) without an engine.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GetSecretRequest } from "../../common/contract.js";
import { ProviderError } from "../../plugin-src/errors.js";
import { IssuanceLedger } from "../../plugin-src/issuance/ledger.js";
import { Reaper } from "../../plugin-src/issuance/reaper.js";
import {
  type IssuanceRecord,
  parseRecord,
  recordLabels,
  recordName,
} from "../../plugin-src/issuance/record.js";
import type { ClusterView, IssuanceStore, TaskStatus } from "../../plugin-src/issuance/swarm-store.js";
import type { MintedCredential } from "../../plugin-src/provider.js";
import type { AccessorInfo, Revoker } from "../../plugin-src/revoker.js";

const DEPLOYMENT = "vsp";
const ROLE = "vsp-task";

/** Swarm configs in memory: labels only, with a version that changes on every write. */
class FakeStore implements IssuanceStore {
  configs = new Map<string, { version: number; labels: Record<string, string> }>();
  failCreates = 0;
  private seq = 0;
  private records(): IssuanceRecord[] {
    return [...this.configs].flatMap(([id, c]) => parseRecord(DEPLOYMENT, c.labels, id, c.version) ?? []);
  }
  finds = 0;
  async find(task: string, secret: string) {
    this.finds++;
    return this.records().find((r) => r.task === task && r.secret === secret);
  }
  async live() {
    return this.records().filter((r) => r.state === "live");
  }
  async all() {
    return this.records();
  }
  async create(r: IssuanceRecord) {
    if (this.failCreates > 0) {
      this.failCreates--;
      throw new Error("rpc error: raft: no leader");
    }
    this.configs.set(`cfg${++this.seq}`, { version: 1, labels: recordLabels(DEPLOYMENT, r) });
  }
  async update(r: IssuanceRecord) {
    const c = this.configs.get(r.id!);
    if (!c || c.version !== r.version) throw new Error("update out of sequence");
    this.configs.set(r.id!, { version: c.version + 1, labels: recordLabels(DEPLOYMENT, r) });
  }
  async remove(r: IssuanceRecord) {
    this.configs.delete(r.id!);
  }
}

class FakeCluster implements ClusterView {
  leader = true;
  tasks = new Map<string, TaskStatus & { service: string }>();
  async isLeader() {
    return this.leader;
  }
  async tasksOf(serviceIds: string[]) {
    return new Map([...this.tasks].filter(([, t]) => serviceIds.includes(t.service)));
  }
}

class FakeVault implements Revoker {
  tokens = new Map<string, AccessorInfo>();
  revoked: string[] = [];
  down = false;
  async lookup(accessor: string) {
    if (this.down) throw new ProviderError("Vault is sealed; unseal it", "vault");
    return this.tokens.get(accessor);
  }
  async revoke(accessor: string) {
    if (this.down) throw new ProviderError("Vault is sealed; unseal it", "vault");
    this.revoked.push(accessor);
    return this.tokens.delete(accessor) ? ("revoked" as const) : ("gone" as const);
  }
}

const quiet = () => undefined;

function request(task: string, secret = "app_db"): GetSecretRequest {
  return {
    TaskID: task,
    ServiceID: "svc1",
    ServiceName: "app_web",
    SecretName: secret,
    TaskName: "app_web.1",
  };
}

function credential(accessor: string, extra: Partial<MintedCredential> = {}): MintedCredential {
  return { type: "token", accessor, validSeconds: 3600, revoke: "task-end", ...extra };
}

function taskToken(task: string, secret = "app_db"): AccessorInfo {
  return { role: ROLE, path: `auth/token/create/${ROLE}`, meta: { task_id: task, secret }, policies: [] };
}

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ProviderError, String(err));
    return err;
  }
  assert.fail("expected a rejection");
}

describe("issuance records", () => {
  it("round-trip through labels, and malformed or foreign labels are no record", () => {
    const r: IssuanceRecord = {
      task: "t1",
      service: "app_web",
      serviceId: "svc1",
      secret: "app_db",
      type: "token",
      accessor: "acc1",
      issuedAt: new Date(0).toISOString(),
      revoke: "task-end",
      state: "live",
    };
    const labels = recordLabels(DEPLOYMENT, r);
    assert.deepEqual(parseRecord(DEPLOYMENT, labels, "id", 3), {
      ...r,
      id: "id",
      version: 3,
      lease: undefined,
      wrapAccessor: undefined,
      expiresAt: undefined,
      endedAt: undefined,
      reason: undefined,
    });
    assert.equal(parseRecord("other", labels), undefined);
    assert.equal(parseRecord(DEPLOYMENT, { ...labels, "com.vsp.accessor": "a b/../c" }), undefined);
    assert.equal(parseRecord(DEPLOYMENT, { ...labels, "com.vsp.state": "Infinity" }), undefined);
    assert.equal(parseRecord(DEPLOYMENT, { ...labels, "com.vsp.task": "" }), undefined);
    assert.ok(recordName("a".repeat(80), r.task, r.secret).length <= 64);
    assert.equal(recordName("vsp", "t1", "s"), recordName("vsp", "t1", "s"));
    assert.notEqual(recordName("vsp", "t1", "s"), recordName("vsp", "t1", "s2"));
  });
});

describe("issuance ledger", () => {
  it("lets the first issuance through and refuses a second for the same task and secret", async () => {
    const store = new FakeStore();
    const ledger = new IssuanceLedger(store, quiet);
    await ledger.beforeMint(request("t1"));
    ledger.issued(request("t1"), credential("acc1"));
    // Still pending (not yet in Swarm): the ledger's own memory refuses.
    assert.equal((await rejection(ledger.beforeMint(request("t1")))).kind, "already-issued");
    await ledger.flush();
    assert.equal(ledger.pendingCount, 0);
    // Another manager's ledger (empty memory) finds the record in Swarm.
    const other = new IssuanceLedger(store, quiet);
    const err = await rejection(other.beforeMint(request("t1")));
    assert.equal(err.kind, "already-issued");
    assert.match(err.message, /already issued to task t1/);
    // Another secret of the same task, or another task, is a first issuance.
    await other.beforeMint(request("t1", "app_cert"));
    await other.beforeMint(request("t2"));
  });

  it("answers from its index, without asking Swarm, only while a listing taken as leader is recent", async () => {
    const store = new FakeStore();
    let now = 1_000_000;
    const ledger = new IssuanceLedger(store, quiet, { confirmMs: 3000, now: () => now });
    ledger.issued(request("t1"), credential("acc1"));
    await ledger.flush();
    const listing = await store.live();
    // Not yet trusted: each look-up is one inspect by name.
    await ledger.beforeMint(request("t2"));
    assert.equal(store.finds, 1);
    // A listing taken before this node was seen leading does not count.
    ledger.listed(listing, now);
    now += 1000;
    ledger.leading(true, now);
    await ledger.beforeMint(request("t3"));
    assert.equal(store.finds, 2);
    ledger.listed(listing, now);
    await ledger.beforeMint(request("t3"));
    assert.equal((await rejection(ledger.beforeMint(request("t1")))).kind, "already-issued");
    // Issued after the listing started: in the index too.
    ledger.issued(request("t4"), credential("acc4"));
    await ledger.flush();
    assert.equal((await rejection(ledger.beforeMint(request("t4")))).kind, "already-issued");
    assert.equal(store.finds, 2);
    // A newer listing (t4 not yet in it) keeps what this ledger issued after it started.
    ledger.listed(listing, now);
    assert.equal((await rejection(ledger.beforeMint(request("t4")))).kind, "already-issued");
    assert.equal(store.finds, 2);
    // Leadership not confirmed lately: back to asking Swarm.
    now += 3001;
    await ledger.beforeMint(request("t5"));
    assert.equal(store.finds, 3);
    ledger.leading(true, now);
    await ledger.beforeMint(request("t6"));
    assert.equal(store.finds, 3);
    // Seen not leading: the listing no longer counts, even once leading again.
    ledger.leading(false, now);
    ledger.leading(true, now + 1);
    now += 1;
    assert.equal((await rejection(ledger.beforeMint(request("t1")))).kind, "already-issued");
    assert.equal(store.finds, 4);
  });

  it("keeps a record whose write failed and writes it on a later try", async () => {
    const store = new FakeStore();
    store.failCreates = 2;
    const warnings: Record<string, unknown>[] = [];
    const ledger = new IssuanceLedger(store, (e) => warnings.push(e), { retryMs: 10 });
    ledger.issued(request("t1"), credential("acc1"));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(ledger.pendingCount, 0);
    assert.equal((await store.all()).length, 1);
    assert.equal(warnings.length, 2);
    ledger.stop();
  });

  it("refuses a request without a task or service ID, and refuses blindly minting when Swarm is unreadable", async () => {
    const store = new FakeStore();
    const ledger = new IssuanceLedger(store, quiet);
    assert.match(
      (await rejection(ledger.beforeMint({ ...request("t1"), TaskID: undefined }))).message,
      /no valid TaskID/,
    );
    assert.match(
      (await rejection(ledger.beforeMint({ ...request("x"), ServiceID: "a/b" }))).message,
      /no valid TaskID/,
    );
    store.find = async () => {
      throw new Error("connect ENOENT /var/run/docker.sock");
    };
    assert.match(
      (await rejection(ledger.beforeMint(request("t9")))).message,
      /cannot read vsp's issuance records/,
    );
  });
});

async function setUp(accessors: [task: string, accessor: string, extra?: Partial<MintedCredential>][]) {
  const store = new FakeStore();
  const cluster = new FakeCluster();
  const vault = new FakeVault();
  const ledger = new IssuanceLedger(store, quiet);
  let now = Date.parse("2026-12-01T12:00:00Z");
  for (const [task, accessor, extra] of accessors) {
    ledger.issued(request(task), credential(accessor, extra));
    vault.tokens.set(accessor, taskToken(task));
    cluster.tasks.set(task, { state: "running", desiredState: "running", service: "svc1" });
  }
  await ledger.flush();
  const reaper = new Reaper(store, cluster, vault, quiet, {
    role: ROLE,
    intervalMs: 1000,
    pruneEvery: 1,
    now: () => now,
  });
  return { store, cluster, vault, reaper, advance: (ms: number) => (now += ms) };
}

const recordsOf = async (store: FakeStore, task: string) =>
  (await store.all()).filter((r) => r.task === task);
const stateOf = async (store: FakeStore, task: string) => (await recordsOf(store, task)).map((r) => r.state);

describe("reaper", () => {
  it("does nothing on a manager that does not lead", async () => {
    const { cluster, reaper, vault } = await setUp([["t1", "a1"]]);
    cluster.tasks.get("t1")!.state = "shutdown";
    cluster.leader = false;
    assert.equal((await reaper.sweep()).leader, false);
    assert.deepEqual(vault.revoked, []);
  });

  it("revokes the tokens of ended or vanished tasks and leaves running ones alone", async () => {
    const { store, cluster, vault, reaper } = await setUp([
      ["t1", "a1"],
      ["t2", "a2"],
      ["t3", "a3"],
      ["t4", "a4"],
    ]);
    cluster.tasks.get("t1")!.state = "failed";
    cluster.tasks.get("t2")!.state = "shutdown";
    cluster.tasks.delete("t3"); // service removed
    cluster.tasks.get("t4")!.desiredState = "shutdown"; // stopping, still running
    const result = await reaper.sweep();
    assert.deepEqual([result.revoked, result.live], [3, 1]);
    assert.deepEqual(vault.revoked.sort(), ["a1", "a2", "a3"]);
    assert.deepEqual(await stateOf(store, "t4"), ["live"]);
    assert.deepEqual(await stateOf(store, "t1"), ["revoked"]);
    // A second pass has nothing more to do.
    assert.equal((await reaper.sweep()).revoked, 0);
    assert.equal(vault.revoked.length, 3);
  });

  it("never revokes an accessor Vault does not confirm as this task's token (forged record)", async () => {
    const { store, cluster, vault, reaper } = await setUp([
      ["t1", "a1"],
      ["t2", "a2"],
      ["t3", "a3"],
    ]);
    vault.tokens.set("a1", { ...taskToken("t1"), role: "someone-elses-role" });
    vault.tokens.set("a2", taskToken("another-task"));
    vault.tokens.set("a3", taskToken("t3", "another-secret"));
    for (const t of ["t1", "t2", "t3"]) cluster.tasks.get(t)!.state = "complete";
    const result = await reaper.sweep();
    assert.equal(result.failed, 3);
    assert.deepEqual(vault.revoked, []);
    const [r] = await recordsOf(store, "t1");
    assert.equal(r!.state, "failed");
    assert.match(r!.reason!, /not a vsp-task token minted for task t1/);
  });

  it("counts a token that already expired as revoked without calling revoke", async () => {
    const { store, cluster, vault, reaper } = await setUp([["t1", "a1"]]);
    vault.tokens.delete("a1");
    cluster.tasks.get("t1")!.state = "rejected";
    assert.equal((await reaper.sweep()).revoked, 1);
    assert.deepEqual(vault.revoked, []);
    assert.match((await recordsOf(store, "t1"))[0]!.reason!, /already expired or revoked/);
  });

  it("keeps a record live with the reason while Vault is down, and revokes once it is back", async () => {
    const { store, cluster, vault, reaper } = await setUp([["t1", "a1"]]);
    cluster.tasks.get("t1")!.state = "shutdown";
    vault.down = true;
    assert.equal((await reaper.sweep()).pending, 1);
    const [r] = await recordsOf(store, "t1");
    assert.equal(r!.state, "live");
    assert.match(r!.reason!, /revocation pending: Vault is sealed/);
    vault.down = false;
    assert.equal((await reaper.sweep()).revoked, 1);
    assert.deepEqual(vault.revoked, ["a1"]);
  });

  it("keeps credentials marked vsp.revoke=never and wrap-only records, and prunes ended records after an hour", async () => {
    const { store, cluster, vault, reaper, advance } = await setUp([
      ["t1", "a1", { revoke: "never" }],
      ["t2", "unused", { type: "kv", accessor: undefined, wrapAccessor: "w2" }],
      ["t3", "a3"],
    ]);
    for (const t of ["t1", "t2", "t3"]) cluster.tasks.get(t)!.state = "shutdown";
    const result = await reaper.sweep();
    assert.deepEqual([result.kept, result.revoked], [2, 1]);
    assert.deepEqual(vault.revoked, ["a3"]);
    assert.equal((await store.all()).length, 3);
    advance(59 * 60_000);
    assert.equal((await reaper.sweep()).pruned, 0);
    advance(2 * 60_000);
    assert.equal((await reaper.sweep()).pruned, 3);
    assert.equal((await store.all()).length, 0);
  });
});

it("leadership: one poller answers for everyone; a stale or failed answer is not leading", async () => {
  const { LeadershipWatch } = await import("../../plugin-src/issuance/leadership.js");
  let now = 1_000_000;
  let answer: boolean | Error = true;
  const watch = new LeadershipWatch(
    {
      isLeader: async () => {
        if (answer instanceof Error) throw answer;
        return answer;
      },
    },
    () => undefined,
    () => undefined,
    1000,
    () => now,
  );
  assert.equal(watch.isLeading(), false, "unknown before the first poll");
  await watch.poll();
  watch.stop();
  assert.equal(watch.isLeading(), true);
  now += 2999;
  assert.equal(watch.isLeading(), true);
  now += 2;
  assert.equal(watch.isLeading(), false, "stale after three intervals");
  answer = new Error("engine down");
  await watch.poll();
  watch.stop();
  assert.equal(watch.isLeading(), false);
});
