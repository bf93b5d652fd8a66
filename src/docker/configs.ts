// Swarm configs: the plugin publishes its recent failures as labels of one config per node.
import { dockerApi, type Engine, ignoreNotFound } from "./engine.js";

export interface ConfigInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
}

type RawConfig = { ID: string; Spec: { Name: string; Labels?: Record<string, string> } };

async function configsWhere(engine: Engine, filters: Record<string, string[]>): Promise<ConfigInfo[]> {
  const raw = (await dockerApi(engine).listConfigs({
    filters: JSON.stringify(filters),
  })) as unknown as RawConfig[];
  return raw.map((c) => ({ id: c.ID, name: c.Spec.Name, labels: c.Spec.Labels ?? {} }));
}

export function listConfigs(engine: Engine, labelFilters: string[]): Promise<ConfigInfo[]> {
  return configsWhere(engine, { label: labelFilters });
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
  // The engine's name filter matches by prefix.
  return (await configsWhere(engine, { name: [name] })).find((c) => c.name === name);
}

export async function removeConfig(engine: Engine, id: string): Promise<void> {
  await ignoreNotFound(dockerApi(engine).getConfig(id).remove());
}
