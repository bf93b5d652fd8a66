// The rollover decisions against fakes: when a service is due, the cap on rollouts at once, no
// second rollout while Swarm still rolls, tracking to completion, leader only, forged states.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RefreshState } from "../../common/refresh-state.js";
import type { PortSecret, PortService, RolloutSwarm } from "../../common/rollout.js";
import type { IssuanceRecord } from "../../plugin-src/issuance/record.js";
import { splayFor, whenDue } from "../../plugin-src/refresh/due.js";
import { type KvVersionProbe, Refresher, type ServiceView } from "../../plugin-src/refresh/refresher.js";
import type { RefreshStateStore } from "../../plugin-src/refresh/state-store.js";

const T0 = Date.parse("2026-12-01T00:00:00Z");

test("whenDue: a KV change is due at once; credentials at two thirds of their life; every= from the last rollout", () => {
  const base = { now: T0, lastRolloutAt: T0 - 1000, credentials: [], changedPaths: [] };
  assert.deepEqual(whenDue({ ...base, modes: { onChange: true, beforeExpiry: false } }), { due: false });
  assert.equal(
    whenDue({ ...base, modes: { onChange: true, beforeExpiry: false }, changedPaths: ["p"] }).due,
    true,
  );
  assert.equal(
    whenDue({ ...base, modes: { onChange: false, beforeExpiry: false }, changedPaths: ["p"] }).due,
    false,
  );
  const creds = [
    { issuedAt: T0 - 50_000, lifetimeMs: 90_000 }, // due at T0 + 10 s
    { issuedAt: T0 - 10_000, lifetimeMs: 300_000 },
  ];
  const e = whenDue({ ...base, modes: { onChange: false, beforeExpiry: true }, credentials: creds });
  assert.deepEqual(e, { due: false, nextAt: T0 + 10_000 });
  assert.equal(
    whenDue({ ...base, now: T0 + 10_000, modes: { onChange: false, beforeExpiry: true }, credentials: creds })
      .due,
    true,
  );
  const every = whenDue({
    ...base,
    modes: { onChange: false, beforeExpiry: true, everyMs: 5000 },
    credentials: creds,
  });
  assert.deepEqual(every, { due: false, nextAt: T0 + 4000 }, "the earliest mode wins");
  const splayed = whenDue({
    ...base,
    modes: { onChange: false, beforeExpiry: false, everyMs: 600_000 },
    splayMs: 90_000,
  });
  assert.equal(splayed.nextAt, T0 - 1000 + 600_000 + 60_000, "splay is capped at a tenth of the period");
  assert.equal(splayFor("abc", 1000), splayFor("abc", 1000));
  assert.ok(splayFor("abc", 1000) < 1000);
});

class Fake implements RolloutSwarm, RefreshStateStore {
  leader = true;
  services: ServiceView[] = [];
  swarmServices = new Map<string, PortService>();
  secrets = new Map<string, PortSecret>();
  states = new Map<string, RefreshState>();
  records: IssuanceRecord[] = [];
  versions = new Map<string, number>();
  updates: string[] = [];
  private seq = 0;

  addService(name: string, label: string, secretNames: string[]): ServiceView {
    const id = `svc${name}000000`;
    const ids = secretNames.map((n) => {
      const sid = `sec${++this.seq}aaaaaaaaaa`;
      this.secrets.set(sid, { id: sid, name: n, driver: "vsp", labels: { "vsp.path": `secret/${n}` } });
      return sid;
    });
    this.swarmServices.set(id, {
      id,
      name,
      version: 1,
      spec: {
        Name: name,
        TaskTemplate: {
          ContainerSpec: {
            Secrets: ids.map((sid) => ({ SecretID: sid, SecretName: this.secrets.get(sid)!.name })),
          },
        },
      },
    });
    const view: ServiceView = {
      id,
      name,
      createdAt: new Date(T0).toISOString(),
      labels: { "vsp.refresh": label },
      rolling: false,
      runningTaskIds: new Set(["t1"]),
      secrets: secretNames.map((n) => ({ name: n, labels: { "vsp.path": `secret/${n}` } })),
    };
    this.services.push(view);
    return view;
  }
  // RolloutSwarm
  async service(ref: string) {
    return this.swarmServices.get(ref);
  }
  async updateService(id: string, version: number, spec: PortService["spec"]) {
    const s = this.swarmServices.get(id)!;
    s.spec = spec;
    s.version = version + 1;
    s.updateStatus = { state: "updating" };
    this.updates.push(s.name);
  }
  async secret(id: string) {
    return this.secrets.get(id);
  }
  async secretNamed(name: string) {
    return [...this.secrets.values()].find((s) => s.name === name);
  }
  async createDriverSecret(name: string, driver: string, labels: Record<string, string>) {
    const id = `sec${++this.seq}bbbbbbbbbb`;
    this.secrets.set(id, { id, name, driver, labels });
    return id;
  }
  async removeSecret(id: string) {
    return this.secrets.delete(id) ? ("removed" as const) : ("gone" as const);
  }
  async tasks(serviceId: string) {
    const refs = this.swarmServices.get(serviceId)?.spec.TaskTemplate?.ContainerSpec?.Secrets ?? [];
    return [{ id: "t2", desiredState: "running", state: "running", secretIds: refs.map((r) => r.SecretID) }];
  }
  // RefreshStateStore
  async list() {
    return [...this.states.values()].map((s) => structuredClone(s));
  }
  async save(s: RefreshState) {
    this.states.set(s.serviceId, structuredClone(s));
  }
  async remove(s: RefreshState) {
    this.states.delete(s.serviceId);
  }
}

function refresher(f: Fake, now: () => number, maxRolling = 1): Refresher {
  const kv: KvVersionProbe = async (req) => ({
    path: String(req.SecretLabels?.["vsp.path"]),
    kv: 2,
    version: f.versions.get(String(req.SecretLabels?.["vsp.path"])) ?? 1,
  });
  return new Refresher(
    { isLeader: async () => f.leader },
    { optedIn: async () => f.services },
    f,
    f,
    async () => f.records,
    kv,
    () => undefined,
    { deployment: "vsp", intervalMs: 1000, maxRolling, now },
  );
}

test("on-change: the first pass records versions, a change starts a rollout, tracking completes it and removes the old version", async () => {
  const f = new Fake();
  const a = f.addService("st_a", "on-change", ["st_x"]);
  let now = T0;
  const r = refresher(f, () => now);
  assert.deepEqual((await r.pass()).started, []);
  assert.deepEqual(f.states.get(a.id)!.kvVersions, { "secret/st_x": 1 });
  f.versions.set("secret/st_x", 2);
  now += 1000;
  assert.deepEqual((await r.pass()).started, ["st_a"]);
  const state = f.states.get(a.id)!;
  assert.equal(state.outcome, "rolling");
  assert.equal(state.rollout!.swaps[0]!.newName, "st_x.v2");
  // Swarm still updating: nothing new; then completed: tracked to the end.
  assert.deepEqual(await r.pass(), { leader: true, started: [], completed: [], failed: [] });
  f.swarmServices.get(a.id)!.updateStatus = { state: "completed" };
  assert.deepEqual((await r.pass()).completed, ["st_a"]);
  assert.equal(f.states.get(a.id)!.outcome, "completed");
  assert.equal(f.states.get(a.id)!.kvVersions["secret/st_x"], 2);
  assert.deepEqual(
    [...f.secrets.values()].map((s) => s.name),
    ["st_x.v2"],
  );
});

test("at most maxRolling rollouts at once; a service Swarm is rolling is left alone; only the leader acts", async () => {
  const f = new Fake();
  f.addService("st_a", "every=1m", ["a"]);
  f.addService("st_b", "every=1m", ["b"]);
  const c = f.addService("st_c", "every=1m", ["c"]);
  c.rolling = true;
  const now = T0 + 120_000;
  f.leader = false;
  assert.deepEqual(await refresher(f, () => now).pass(), {
    leader: false,
    started: [],
    completed: [],
    failed: [],
  });
  f.leader = true;
  const r = refresher(f, () => now, 1);
  assert.deepEqual((await r.pass()).started, ["st_a"]);
  assert.deepEqual((await r.pass()).started, [], "st_a still rolling: the cap holds");
  assert.deepEqual(f.updates, ["st_a"]);
});

test("a bad label is refused with its reason; a forged rollout state is ignored, not acted on; orphan states go", async () => {
  const f = new Fake();
  const a = f.addService("st_a", "sometimes", ["a"]);
  const r = refresher(f, () => T0);
  await r.pass();
  assert.equal(f.states.get(a.id)!.outcome, "refused");
  assert.match(f.states.get(a.id)!.reason!, /unknown mode "sometimes"/);

  const b = f.addService("st_b", "every=1h", ["b"]);
  const victim = "secvictim0000000";
  f.secrets.set(victim, { id: victim, name: "someone_else", driver: "other", labels: {} });
  f.states.set(b.id, {
    serviceId: b.id,
    service: "st_b",
    modes: "every=3600s",
    kvVersions: {},
    outcome: "rolling",
    rollout: {
      startedAt: new Date(T0).toISOString(),
      swaps: [
        { oldId: victim, oldName: "someone_else", newId: victim, newName: "someone_else", target: "x" },
      ],
    },
  });
  f.swarmServices.get(b.id)!.updateStatus = { state: "completed" };
  const pass = await r.pass();
  assert.deepEqual(pass.failed, ["st_b"]);
  assert.ok(f.secrets.has(victim), "nothing removed on a forged state's word");
  assert.match(f.states.get(b.id)!.reason!, /did not match/);

  f.services = f.services.filter((s) => s.id !== a.id);
  await r.pass();
  assert.equal(f.states.has(a.id), false);
});

test("before-expiry counts only running tasks' live credentials, wrapped tokens by their own TTL", async () => {
  const f = new Fake();
  const a = f.addService("st_a", "before-expiry", ["t"]);
  a.secrets[0]!.labels = { "vsp.type": "token", "vsp.wrap": "true", "vsp.ttl": "90s" };
  const rec = (task: string, extra: Partial<IssuanceRecord>): IssuanceRecord => ({
    task,
    service: "st_a",
    serviceId: a.id,
    secret: "t",
    type: "token",
    issuedAt: new Date(T0).toISOString(),
    revoke: "task-end",
    state: "live",
    ...extra,
  });
  f.records = [
    rec("gone", { expiresAt: new Date(T0 + 3000).toISOString() }), // not a running task
    rec("t1", { wrapAccessor: "w", expiresAt: new Date(T0 + 300_000).toISOString() }),
  ];
  const result = await refresher(f, () => T0).pass();
  assert.equal(
    f.states.get(a.id)!.nextAt,
    new Date(T0 + 60_000).toISOString(),
    "two thirds of the wrapped token's 90 s",
  );
  assert.equal(result.nextPassBy, T0 + 60_000, "the loop comes back when the rollout is due");
});
