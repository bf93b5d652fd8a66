// The refresh mechanism against an in-memory Swarm: naming, the one service update, clean-up when
// Swarm refuses, progress from update status and tasks, and old versions removed only when free.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type PortSecret,
  type PortService,
  type PortTask,
  REFRESH_LABELS,
  type RolloutError,
  type RolloutSwarm,
  removeOldVersions,
  rolloutProgress,
  startRefresh,
  versionedName,
} from "../../common/rollout.js";

class FakeSwarm implements RolloutSwarm {
  secrets = new Map<string, PortSecret>();
  services = new Map<string, PortService>();
  tasksOf = new Map<string, PortTask[]>();
  inUseElsewhere = new Set<string>();
  failUpdate = false;
  updates = 0;
  private seq = 0;

  addSecret(name: string, driver = "vsp", labels: Record<string, string> = { "vsp.type": "token" }): string {
    const id = `s${++this.seq}`;
    this.secrets.set(id, { id, name, driver, labels });
    return id;
  }
  addService(name: string, secretIds: string[]): PortService {
    const svc: PortService = {
      id: `svc-${name}`,
      name,
      version: 10,
      spec: {
        Name: name,
        TaskTemplate: {
          ContainerSpec: {
            Image: "x",
            Secrets: secretIds.map((id) => ({
              SecretID: id,
              SecretName: this.secrets.get(id)!.name,
              File: { Name: this.secrets.get(id)!.name },
            })),
          },
        },
      },
    };
    this.services.set(svc.id, svc);
    return svc;
  }
  async service(ref: string) {
    return this.services.get(ref) ?? [...this.services.values()].find((s) => s.name === ref);
  }
  async updateService(id: string, version: number, spec: PortService["spec"]) {
    const svc = this.services.get(id)!;
    if (this.failUpdate) throw new Error("update out of sequence");
    assert.equal(version, svc.version);
    this.updates++;
    svc.spec = spec;
    svc.version++;
    svc.updateStatus = { state: "updating" };
  }
  async secret(id: string) {
    return this.secrets.get(id);
  }
  async secretNamed(name: string) {
    return [...this.secrets.values()].find((s) => s.name === name);
  }
  async createDriverSecret(name: string, driver: string, labels: Record<string, string>) {
    const id = `s${++this.seq}`;
    this.secrets.set(id, { id, name, driver, labels });
    return id;
  }
  async removeSecret(id: string) {
    if (this.inUseElsewhere.has(id)) return "in-use" as const;
    return this.secrets.delete(id) ? ("removed" as const) : ("gone" as const);
  }
  async tasks(serviceId: string) {
    return this.tasksOf.get(serviceId) ?? [];
  }
}

test("each vsp secret gets its next version in one update; others and a second mount are left as they are", async () => {
  const swarm = new FakeSwarm();
  const tok = swarm.addSecret("st_tok");
  const plain = swarm.addSecret("st_plain", "", {});
  const svc = swarm.addService("st_app", [tok, plain, tok]);
  const started = await startRefresh(swarm, "st_app", "vsp");
  assert.equal(swarm.updates, 1);
  assert.deepEqual(
    started.swaps.map((s) => [s.old.name, s.next.name]),
    [["st_tok", "st_tok.v2"]],
  );
  const next = swarm.secrets.get(started.swaps[0]!.next.id)!;
  assert.equal(next.driver, "vsp");
  assert.deepEqual(next.labels, {
    "vsp.type": "token",
    [REFRESH_LABELS.of]: "st_tok",
    [REFRESH_LABELS.version]: "2",
  });
  const refs = svc.spec.TaskTemplate!.ContainerSpec!.Secrets!;
  assert.deepEqual(
    refs.map((r) => r.SecretName),
    ["st_tok.v2", "st_plain", "st_tok.v2"],
  );
  assert.deepEqual(
    refs.map((r) => (r.File as { Name: string }).Name),
    ["st_tok", "st_plain", "st_tok"],
    "targets kept",
  );
});

test("a taken name is skipped, long names are cut to Swarm's 64, and a later version counts from its label", async () => {
  assert.equal(versionedName("a".repeat(70), 12).length, 64);
  assert.ok(versionedName("a".repeat(70), 12).endsWith(".v12"));
  const swarm = new FakeSwarm();
  const v3 = swarm.addSecret("x.v3", "vsp", { [REFRESH_LABELS.of]: "x", [REFRESH_LABELS.version]: "3" });
  swarm.addSecret("x.v4");
  swarm.addService("app", [v3]);
  const started = await startRefresh(swarm, "app", "vsp");
  assert.equal(started.swaps[0]!.next.name, "x.v5");
});

test("refused: a service still rolling, one without vsp secrets; a refused update leaves no new secret", async () => {
  const swarm = new FakeSwarm();
  const tok = swarm.addSecret("t");
  const svc = swarm.addService("app", [tok]);
  svc.updateStatus = { state: "updating" };
  await assert.rejects(
    startRefresh(swarm, "app", "vsp"),
    (e: RolloutError) => /still rolling/.test(e.message) && !!e.hint,
  );
  svc.updateStatus = { state: "completed" };
  await assert.rejects(startRefresh(swarm, "app", "other-driver"), /mounts no other-driver secret/);
  await assert.rejects(startRefresh(swarm, "app", "vsp", ["nope"]), /named nope/);
  await assert.rejects(startRefresh(swarm, "missing", "vsp"), /service missing not found/);
  swarm.failUpdate = true;
  await assert.rejects(startRefresh(swarm, "app", "vsp"), /out of sequence/);
  assert.deepEqual(
    [...swarm.secrets.values()].map((s) => s.name),
    ["t"],
  );
});

test("progress: rolling until every running task holds the new versions; paused and rollbacks fail with the reason", async () => {
  const swarm = new FakeSwarm();
  const tok = swarm.addSecret("t");
  const svc = swarm.addService("app", [tok]);
  const started = await startRefresh(swarm, "app", "vsp");
  const next = started.swaps[0]!.next.id;
  swarm.tasksOf.set(svc.id, [
    { id: "1", desiredState: "running", state: "running", secretIds: [next] },
    { id: "2", desiredState: "running", state: "running", secretIds: [tok] },
    { id: "0", desiredState: "shutdown", state: "shutdown", secretIds: [tok] },
  ]);
  assert.deepEqual(await rolloutProgress(swarm, started), { state: "rolling", updated: 1, desired: 2 });
  svc.updateStatus = { state: "completed" };
  assert.equal((await rolloutProgress(swarm, started)).state, "rolling", "a task still on the old version");
  swarm.tasksOf.get(svc.id)![1] = { id: "3", desiredState: "running", state: "running", secretIds: [next] };
  assert.deepEqual(await rolloutProgress(swarm, started), { state: "completed", updated: 2, desired: 2 });
  svc.updateStatus = {
    state: "paused",
    message: "update paused due to failure or early termination of task x",
  };
  assert.deepEqual(await rolloutProgress(swarm, started), {
    state: "failed",
    reason: "Swarm paused the update: update paused due to failure or early termination of task x",
  });
  svc.updateStatus = { state: "rollback_completed", message: "rollback completed" };
  assert.match(
    ((await rolloutProgress(swarm, started)) as { reason: string }).reason,
    /rollback completed the update/,
  );
  svc.updateStatus = { state: "completed" };
  svc.spec.TaskTemplate!.ContainerSpec!.Secrets![0]!.SecretID = tok;
  assert.match(((await rolloutProgress(swarm, started)) as { reason: string }).reason, /no longer mounts/);
  swarm.services.delete(svc.id);
  assert.match(((await rolloutProgress(swarm, started)) as { reason: string }).reason, /was removed/);
});

test("old versions: waiting while a task holds them, kept when another service mounts them, removed otherwise", async () => {
  const swarm = new FakeSwarm();
  const a = swarm.addSecret("a");
  const b = swarm.addSecret("b");
  const svc = swarm.addService("app", [a, b]);
  const started = await startRefresh(swarm, "app", "vsp");
  swarm.inUseElsewhere.add(b);
  swarm.tasksOf.set(svc.id, [{ id: "old", desiredState: "shutdown", state: "running", secretIds: [a, b] }]);
  assert.deepEqual(await removeOldVersions(swarm, started), { waiting: ["a", "b"], kept: [] });
  swarm.tasksOf.set(svc.id, [{ id: "old", desiredState: "shutdown", state: "shutdown", secretIds: [a, b] }]);
  assert.deepEqual(await removeOldVersions(swarm, started), { waiting: [], kept: ["b"] });
  assert.equal(swarm.secrets.has(a), false);
});
