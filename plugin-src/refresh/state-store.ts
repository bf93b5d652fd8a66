// Rollover states as Swarm configs (labels only), through the plugin's Docker socket.
import type Docker from "dockerode";
import { OBJECT_LABELS } from "../../common/contract.js";
import { parseState, type RefreshState, stateLabels, stateName } from "../../common/refresh-state.js";

interface RawConfig {
  ID: string;
  Version: { Index: number };
  Spec: { Name: string; Labels?: Record<string, string> };
}

export interface RefreshStateStore {
  list(): Promise<RefreshState[]>;
  save(state: RefreshState): Promise<void>;
  remove(state: RefreshState): Promise<void>;
}

export class SwarmRefreshStateStore implements RefreshStateStore {
  constructor(
    private readonly docker: Docker,
    private readonly deployment: string,
  ) {}

  async list(): Promise<RefreshState[]> {
    const raw = (await this.docker.listConfigs({
      filters: JSON.stringify({
        label: [`${OBJECT_LABELS.managedBy}=${this.deployment}`, `${OBJECT_LABELS.role}=refresh-state`],
      }),
    })) as unknown as RawConfig[];
    return raw.flatMap((c) => {
      const s = parseState(this.deployment, c.Spec.Labels ?? {}, c.ID, c.Version.Index);
      // Only the config of the expected name counts: another name is not ours to trust.
      return s && c.Spec.Name === stateName(this.deployment, s.serviceId) ? [s] : [];
    });
  }

  async save(state: RefreshState): Promise<void> {
    const spec = {
      Name: stateName(this.deployment, state.serviceId),
      Labels: stateLabels(this.deployment, state),
    };
    if (state.id && state.version !== undefined) {
      await this.docker.getConfig(state.id).update({ version: state.version, ...spec });
    } else {
      const res = (await this.docker.createConfig({
        ...spec,
        Data: Buffer.from("vsp rollover state (in the labels)").toString("base64"),
      })) as unknown as { id?: string; ID?: string };
      state.id = res.id ?? res.ID;
    }
  }

  async remove(state: RefreshState): Promise<void> {
    if (!state.id) return;
    try {
      await this.docker.getConfig(state.id).remove();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
  }
}
