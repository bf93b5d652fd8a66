// Swarm secrets vsp manages (the bootstrap token), and the user secrets that use its driver.
import { poll } from "../../common/poll.js";
import { dockerApi, type Engine, ignoreNotFound } from "./engine.js";

export interface SecretInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
  driver?: string;
  createdAt: string;
}

export async function listSecrets(engine: Engine, labelFilters: string[] = []): Promise<SecretInfo[]> {
  const raw = (await dockerApi(engine).listSecrets(
    labelFilters.length ? { filters: JSON.stringify({ label: labelFilters }) } : {},
  )) as {
    ID: string;
    CreatedAt: string;
    Spec: { Name: string; Labels?: Record<string, string>; Driver?: { Name: string } };
  }[];
  return raw.map((s) => ({
    id: s.ID,
    name: s.Spec.Name,
    labels: s.Spec.Labels ?? {},
    driver: s.Spec.Driver?.Name,
    createdAt: s.CreatedAt,
  }));
}

/** A secret whose value Swarm keeps (`data`), or one a secret driver gives (`driver`). */
export async function createSecret(
  engine: Engine,
  name: string,
  source: { data: string } | { driver: string },
  labels: Record<string, string>,
): Promise<string> {
  const res = (await dockerApi(engine).createSecret({
    Name: name,
    Labels: labels,
    ...("data" in source
      ? { Data: Buffer.from(source.data).toString("base64") }
      : { Driver: { Name: source.driver } }),
  })) as { id?: string; ID?: string };
  return (res.id ?? res.ID)!;
}

export async function removeSecret(engine: Engine, id: string): Promise<void> {
  await ignoreNotFound(dockerApi(engine).getSecret(id).remove());
}

/** Removes a secret once no task uses it any more (Swarm refuses while one does). */
export async function removeSecretWhenFree(engine: Engine, id: string, timeoutMs: number): Promise<boolean> {
  return poll(() => removeSecret(engine, id).then(() => true), {
    timeoutMs,
    retryErrors: true,
    onTimeout: () => new Error("in use"),
  }).catch(() => false);
}
