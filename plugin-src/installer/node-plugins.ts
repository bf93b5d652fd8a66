// The node's plugin store through the engine API (moby's /plugins endpoints).
import { isPluginNamed } from "../../common/contract.js";
import type { Privilege } from "../../common/privileges.js";
import { ANONYMOUS, type EngineApi } from "./engine-api.js";
import type { InstalledPlugin, NodePlugins } from "./reconcile.js";

interface RawPlugin {
  Name: string;
  Enabled: boolean;
  PluginReference?: string;
  Settings?: { Env?: string[] };
}

interface RawPrivilege {
  Name: string;
  Description: string;
  Value: string[];
}

const PULL_TIMEOUT_MS = 5 * 60_000;
const toRaw = (p: Privilege[]): RawPrivilege[] =>
  p.map((x) => ({ Name: x.name, Description: x.description ?? "", Value: x.value }));

export class EnginePlugins implements NodePlugins {
  constructor(private readonly api: EngineApi) {}

  async find(name: string): Promise<InstalledPlugin | undefined> {
    const all = await this.api.json<RawPlugin[]>("GET", "/plugins");
    const p = all.find((x) => isPluginNamed(x.Name, name));
    if (!p) return undefined;
    return { remote: p.PluginReference ?? "", enabled: p.Enabled, env: p.Settings?.Env ?? [] };
  }

  async privileges(remote: string): Promise<Privilege[]> {
    const raw = await this.api.json<RawPrivilege[]>("GET", "/plugins/privileges", {
      query: { remote },
      headers: ANONYMOUS,
      timeoutMs: PULL_TIMEOUT_MS,
    });
    return raw.map((p) => ({ name: p.Name, description: p.Description, value: p.Value ?? [] }));
  }

  install(name: string, remote: string, privileges: Privilege[]): Promise<void> {
    return this.api.stream("POST", "/plugins/pull", {
      query: { remote, name },
      body: toRaw(privileges),
      headers: ANONYMOUS,
      timeoutMs: PULL_TIMEOUT_MS,
    });
  }

  upgrade(name: string, remote: string, privileges: Privilege[]): Promise<void> {
    return this.api.stream("POST", `/plugins/${encodeURIComponent(name)}/upgrade`, {
      query: { remote },
      body: toRaw(privileges),
      headers: ANONYMOUS,
      timeoutMs: PULL_TIMEOUT_MS,
    });
  }

  async configure(name: string, env: string[]): Promise<void> {
    await this.api.request("POST", `/plugins/${encodeURIComponent(name)}/set`, { body: env });
  }

  async enable(name: string): Promise<void> {
    await this.api.request("POST", `/plugins/${encodeURIComponent(name)}/enable`, {
      query: { timeout: "30" },
      timeoutMs: 45_000,
    });
  }

  async disable(name: string): Promise<void> {
    await this.api.request("POST", `/plugins/${encodeURIComponent(name)}/disable`, { query: { force: "1" } });
  }

  async remove(name: string): Promise<void> {
    await this.api.request("DELETE", `/plugins/${encodeURIComponent(name)}`, { query: { force: "1" } });
  }
}
