// One changing vsp run (deploy, rotate, remove) per deployment at a time, from any machine: the
// run holds a Swarm config named <name>-lock while it works. Creating a config is atomic in the
// managers' Raft store, so of two runs started together exactly one gets it; the other stops at
// once with who holds the lock. The config carries identifiers only (command, host, pid, time).
// A lock left by a killed run is taken over when its process is gone from this host, or after
// STALE_LOCK_MS from anywhere.
import os from "node:os";
import { LOCK_LABELS, runLockName } from "../../common/contract.js";
import { printable } from "../../common/printable.js";
import { createConfig, findConfig, removeConfig } from "../docker/configs.js";
import type { Engine } from "../docker/engine.js";
import { VspError } from "../errors.js";
import { managedLabels } from "./deployment.js";

/** A run longer than this is taken for dead (a kill leaves its lock behind): its lock may be taken over. */
export const STALE_LOCK_MS = 30 * 60_000;

export interface RunLockOptions {
  now?: () => number;
  host?: string;
  pid?: number;
  /** Whether a process of this host runs (default: signal 0). */
  alive?: (pid: number) => boolean;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function withRunLock<T>(
  engine: Engine,
  name: string,
  command: string,
  run: () => Promise<T>,
  o: RunLockOptions = {},
): Promise<T> {
  const id = await acquire(engine, name, command, o);
  try {
    return await run();
  } finally {
    await removeConfig(engine, id).catch(() => undefined);
  }
}

async function acquire(engine: Engine, name: string, command: string, o: RunLockOptions): Promise<string> {
  const now = o.now ?? Date.now;
  const host = o.host ?? os.hostname();
  const alive = o.alive ?? processRuns;
  const labels = {
    ...managedLabels(name, "lock"),
    [LOCK_LABELS.command]: command,
    [LOCK_LABELS.host]: host,
    [LOCK_LABELS.pid]: String(o.pid ?? process.pid),
    [LOCK_LABELS.since]: new Date(now()).toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await createConfig(engine, runLockName(name), labels, `vsp ${command}\n`);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    }
    const held = await findConfig(engine, runLockName(name));
    if (!held) continue; // released meanwhile
    const since = Date.parse(held.labels[LOCK_LABELS.since] ?? "");
    const pid = Number(held.labels[LOCK_LABELS.pid]);
    // A run of this host whose process is gone died (a kill leaves its lock); elsewhere only age
    // tells. A lock without a readable time (forged, or written by hand) is never taken over.
    const died = held.labels[LOCK_LABELS.host] === host && Number.isInteger(pid) && pid > 0 && !alive(pid);
    const stale = Number.isFinite(since) && now() - since > STALE_LOCK_MS;
    if (attempt === 0 && Number.isFinite(since) && (died || stale)) {
      await removeConfig(engine, held.id);
      continue;
    }
    throw lockedError(name, held.labels);
  }
  throw new VspError(
    `the lock ${runLockName(name)} could be neither created nor read`,
    "check the swarm's managers (docker config ls), then run this again",
  );
}

function lockedError(name: string, labels: Record<string, string>): VspError {
  const who = [
    `vsp ${printable(labels[LOCK_LABELS.command] ?? "?", 20)}`,
    `on ${printable(labels[LOCK_LABELS.host] ?? "?", 80)}`,
    `pid ${printable(labels[LOCK_LABELS.pid] ?? "?", 12)}`,
    `since ${printable(labels[LOCK_LABELS.since] ?? "?", 40)}`,
  ].join(" ");
  return new VspError(
    `another run is changing deployment "${name}" (${who})`,
    `wait for it to end and run this again; if that run died, remove its lock: docker config rm ${runLockName(name)} (taken over by itself after ${STALE_LOCK_MS / 60_000} min)`,
  );
}
