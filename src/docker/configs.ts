// Swarm configs: the plugin publishes its recent failures as labels of one config per node.
import { dockerApi, type Engine, ignoreNotFound } from "./engine.js";

export interface ConfigInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export async function listConfigs(engine: Engine, labelFilters: string[]): Promise<ConfigInfo[]> {
  const raw = (await dockerApi(engine).listConfigs({
    filters: JSON.stringify({ label: labelFilters }),
  })) as unknown as {
    ID: string;
    Spec: { Name: string; Labels?: Record<string, string> };
  }[];
  return raw.map((c) => ({ id: c.ID, name: c.Spec.Name, labels: c.Spec.Labels ?? {} }));
}

/** Creates a config; a name already taken answers with the engine's 409 (statusCode on the error). */
export async function createConfig(
  engine: Engine,
  name: string,
  labels: Record<string, string>,
  data: string,
): Promise<string> {
  const created = (await dockerApi(engine).createConfig({
    Name: name,
    Labels: labels,
    Data: Buffer.from(data).toString("base64"),
  })) as unknown as { id?: string; ID?: string };
  return created.id ?? created.ID ?? "";
}

/** The config with exactly this name, if any. */
export async function findConfig(engine: Engine, name: string): Promise<ConfigInfo | undefined> {
  const raw = (await dockerApi(engine).listConfigs({
    filters: JSON.stringify({ name: [name] }),
  })) as unknown as {
    ID: string;
    Spec: { Name: string; Labels?: Record<string, string> };
  }[];
  const c = raw.find((x) => x.Spec.Name === name);
  return c ? { id: c.ID, name: c.Spec.Name, labels: c.Spec.Labels ?? {} } : undefined;
}

export async function removeConfig(engine: Engine, id: string): Promise<void> {
  await ignoreNotFound(dockerApi(engine).getConfig(id).remove());
}
