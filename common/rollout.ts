// Refreshing a service's vsp secrets: Swarm secrets are immutable, so each `driver: vsp` secret
// the service mounts gets a new version (same driver and labels, a version label, a versioned
// name: still no value in Raft), swapped in with one service update that follows the service's
// own update_config. The old version is removed once no task uses it. Used by `vsp refresh`
// and by the leader plugin's automatic rollover, through the small port below.

import { REFRESH_LABELS } from "./contract.js";

export { REFRESH_LABELS };

const MAX_SECRET_NAME = 64;

export interface PortSecret {
  id: string;
  name: string;
  driver?: string;
  labels: Record<string, string>;
}

export interface PortService {
  id: string;
  name: string;
  version: number;
  spec: ServiceSpec;
  updateStatus?: { state?: string; message?: string };
}

export interface PortTask {
  id: string;
  desiredState: string;
  state: string;
  secretIds: string[];
}

export interface SecretRef {
  SecretID: string;
  SecretName: string;
  File?: Record<string, unknown>;
}

export interface ServiceSpec {
  Name: string;
  Labels?: Record<string, string>;
  TaskTemplate?: { ContainerSpec?: { Secrets?: SecretRef[] } & Record<string, unknown> } & Record<
    string,
    unknown
  >;
  [key: string]: unknown;
}

/** What a refresh needs of Swarm; `swarm-port.ts` implements it on dockerode for CLI and plugin. */
export interface RolloutSwarm {
  service(idOrName: string): Promise<PortService | undefined>;
  updateService(id: string, version: number, spec: ServiceSpec): Promise<void>;
  secret(id: string): Promise<PortSecret | undefined>;
  secretNamed(name: string): Promise<PortSecret | undefined>;
  createDriverSecret(name: string, driver: string, labels: Record<string, string>): Promise<string>;
  /** "in-use" while Swarm refuses (a service still references it). */
  removeSecret(id: string): Promise<"removed" | "gone" | "in-use">;
  tasks(serviceId: string): Promise<PortTask[]>;
}

export interface Swap {
  old: { id: string; name: string };
  next: { id: string; name: string };
  /** Where the task sees it (the file name of the first mount). */
  target: string;
}

export interface StartedRefresh {
  serviceId: string;
  service: string;
  swaps: Swap[];
}

export class RolloutError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "RolloutError";
  }
}

/** The first version's name and this version's number. */
export function versionOf(secret: PortSecret): { base: string; version: number } {
  const base = secret.labels[REFRESH_LABELS.of] || secret.name;
  const n = Number(secret.labels[REFRESH_LABELS.version]);
  return { base, version: Number.isInteger(n) && n >= 1 && n < 1e9 ? n : 1 };
}

export function versionedName(base: string, version: number): string {
  const suffix = `.v${version}`;
  return `${base.slice(0, MAX_SECRET_NAME - suffix.length)}${suffix}`;
}

/** The service's mounts of `driver` secrets, one entry per secret (a secret mounted twice swaps once). */
async function driverMounts(
  swarm: RolloutSwarm,
  spec: ServiceSpec,
  driver: string,
  only: string[] | undefined,
): Promise<{ secret: PortSecret; target: string }[]> {
  const out = new Map<string, { secret: PortSecret; target: string }>();
  for (const ref of spec.TaskTemplate?.ContainerSpec?.Secrets ?? []) {
    if (out.has(ref.SecretID)) continue;
    const secret = await swarm.secret(ref.SecretID);
    if (!secret || secret.driver !== driver) continue;
    const target = String((ref.File as { Name?: string } | undefined)?.Name ?? ref.SecretName);
    if (only && !only.some((o) => [secret.name, versionOf(secret).base, target].includes(o))) continue;
    out.set(ref.SecretID, { secret, target });
  }
  return [...out.values()];
}

/** True while Swarm is still rolling the service (an update, or a rollback, in progress). */
export function rolling(svc: PortService): boolean {
  const s = svc.updateStatus?.state;
  return s === "updating" || s === "rollback_started";
}

/**
 * Creates the next version of each vsp secret the service mounts and swaps them in with one
 * service update. Nothing is left behind if the update is refused.
 */
export async function startRefresh(
  swarm: RolloutSwarm,
  serviceRef: string,
  driver: string,
  only?: string[],
): Promise<StartedRefresh> {
  const svc = await swarm.service(serviceRef);
  if (!svc)
    throw new RolloutError(
      `service ${serviceRef} not found`,
      "give a service name as `docker service ls` shows it",
    );
  if (rolling(svc))
    throw new RolloutError(
      `service ${svc.name} is still rolling out a previous update (${svc.updateStatus?.state})`,
      "wait for it to finish (docker service ps), then refresh",
    );
  const mounts = await driverMounts(swarm, svc.spec, driver, only);
  if (mounts.length === 0)
    throw new RolloutError(
      `service ${svc.name} mounts no ${driver} secret${only ? ` named ${only.join(", ")}` : ""}`,
      "name a service that mounts a driver: vsp secret (and --secret its name or target)",
    );
  const swaps: Swap[] = [];
  try {
    for (const { secret, target } of mounts) {
      const { base, version } = versionOf(secret);
      let next = version + 1;
      while (await swarm.secretNamed(versionedName(base, next))) next++;
      const name = versionedName(base, next);
      const labels = { ...secret.labels, [REFRESH_LABELS.of]: base, [REFRESH_LABELS.version]: String(next) };
      const id = await swarm.createDriverSecret(name, driver, labels);
      swaps.push({ old: { id: secret.id, name: secret.name }, next: { id, name }, target });
    }
    const spec = structuredClone(svc.spec);
    for (const ref of spec.TaskTemplate?.ContainerSpec?.Secrets ?? []) {
      const swap = swaps.find((s) => s.old.id === ref.SecretID);
      if (swap) {
        ref.SecretID = swap.next.id;
        ref.SecretName = swap.next.name;
      }
    }
    await swarm.updateService(svc.id, svc.version, spec);
  } catch (err) {
    for (const s of swaps) await swarm.removeSecret(s.next.id).catch(() => undefined);
    throw err;
  }
  return { serviceId: svc.id, service: svc.name, swaps };
}

export type RolloutProgress =
  | { state: "rolling"; updated: number; desired: number }
  | { state: "completed"; updated: number; desired: number }
  | { state: "failed"; reason: string };

const FAILED_STATES = new Set(["paused", "rollback_started", "rollback_paused", "rollback_completed"]);

/** Where the rollout of a started refresh stands, from the service's update status and its tasks. */
export async function rolloutProgress(
  swarm: RolloutSwarm,
  started: StartedRefresh,
): Promise<RolloutProgress> {
  const svc = await swarm.service(started.serviceId);
  if (!svc) return { state: "failed", reason: `service ${started.service} was removed during the rollout` };
  const state = svc.updateStatus?.state;
  if (state && FAILED_STATES.has(state)) {
    return {
      state: "failed",
      reason: `Swarm ${state.replace("_", " ")} the update: ${svc.updateStatus?.message ?? "no reason given"}`,
    };
  }
  const refs = new Set((svc.spec.TaskTemplate?.ContainerSpec?.Secrets ?? []).map((r) => r.SecretID));
  if (!started.swaps.every((s) => refs.has(s.next.id)))
    return {
      state: "failed",
      reason: `service ${started.service} no longer mounts the new secret versions (updated meanwhile)`,
    };
  const live = (await swarm.tasks(svc.id)).filter((t) => t.desiredState === "running");
  const fresh = (t: PortTask) => started.swaps.every((s) => t.secretIds.includes(s.next.id));
  const updated = live.filter((t) => fresh(t) && t.state === "running").length;
  const done = !rolling(svc) && live.every((t) => fresh(t) && t.state === "running");
  return { state: done ? "completed" : "rolling", updated, desired: live.length };
}

/**
 * Removes the old versions no task of the service holds any more. `waiting`: a task still holds
 * one (it is stopping); `kept`: Swarm refuses, another service mounts it.
 */
export async function removeOldVersions(
  swarm: RolloutSwarm,
  started: StartedRefresh,
): Promise<{ waiting: string[]; kept: string[] }> {
  const tasks = await swarm.tasks(started.serviceId);
  const out = { waiting: [] as string[], kept: [] as string[] };
  for (const s of started.swaps) {
    const held = tasks.some(
      (t) => t.secretIds.includes(s.old.id) && (t.desiredState === "running" || t.state === "running"),
    );
    if (held) out.waiting.push(s.old.name);
    else if ((await swarm.removeSecret(s.old.id)) === "in-use") out.kept.push(s.old.name);
  }
  return out;
}
