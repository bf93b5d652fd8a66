// Swarm configs: the plugin publishes its recent failures as labels of one config per node.
import { type Engine, ignoreNotFound } from "./engine.js";

export interface ConfigInfo {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export async function listConfigs(engine: Engine, labelFilters: string[]): Promise<ConfigInfo[]> {
  const raw = (await engine.listConfigs({
    filters: JSON.stringify({ label: labelFilters }),
  })) as unknown as {
    ID: string;
    Spec: { Name: string; Labels?: Record<string, string> };
  }[];
  return raw.map((c) => ({ id: c.ID, name: c.Spec.Name, labels: c.Spec.Labels ?? {} }));
}

export async function removeConfig(engine: Engine, id: string): Promise<void> {
  await ignoreNotFound(engine.getConfig(id).remove());
}
