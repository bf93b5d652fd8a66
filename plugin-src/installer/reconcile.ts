// One installer pass on one node: bring the plugin to what the installer service asks for
// (installed from `remote`, configured, enabled; or removed), with the fewest engine calls.
import type { InstallState } from "../../common/installer.js";
import { type Privilege, privilegeMismatch } from "../../common/privileges.js";

export interface InstalledPlugin {
  /** PluginReference: where the node's copy came from. */
  remote: string;
  enabled: boolean;
  /** Settings.Env, KEY=value. */
  env: string[];
}

/** The node's plugin store, as the installer uses it (the engine's /plugins API; a fake in unit tests). */
export interface NodePlugins {
  find(name: string): Promise<InstalledPlugin | undefined>;
  privileges(remote: string): Promise<Privilege[]>;
  /** Pulls `remote` as `name`, granting `privileges`; the plugin stays disabled. */
  install(name: string, remote: string, privileges: Privilege[]): Promise<void>;
  upgrade(name: string, remote: string, privileges: Privilege[]): Promise<void>;
  configure(name: string, env: string[]): Promise<void>;
  enable(name: string): Promise<void>;
  disable(name: string): Promise<void>;
  remove(name: string): Promise<void>;
}

export interface Desired {
  name: string;
  remote: string;
  privileges: Privilege[];
  env: string[];
  action: "install" | "remove";
}

export interface PassResult {
  state: InstallState;
  /** What this pass changed, in order (empty: the node already matched). */
  steps: string[];
  error?: string;
}

/** The desired settings the plugin does not carry yet. */
export function missingEnv(current: string[], desired: string[]): string[] {
  const have = new Set(current);
  return desired.filter((kv) => !have.has(kv));
}

export async function reconcile(plugins: NodePlugins, d: Desired): Promise<PassResult> {
  const steps: string[] = [];
  try {
    const found = await plugins.find(d.name);
    if (d.action === "remove") {
      if (found) {
        await plugins.remove(d.name);
        steps.push("removed");
      }
      return { state: "removed", steps };
    }
    if (!found || found.remote !== d.remote) {
      const asked = await plugins.privileges(d.remote);
      const mismatch = privilegeMismatch(asked, d.privileges);
      if (mismatch)
        return {
          state: "failed",
          steps,
          error: `the plugin ${d.remote} in the registry asks for privileges vsp did not generate (${mismatch}); not installed`,
        };
      if (!found) {
        await plugins.install(d.name, d.remote, asked);
        steps.push(`installed ${d.remote}`);
      } else {
        if (found.enabled) {
          await plugins.disable(d.name);
          steps.push("disabled");
        }
        await plugins.upgrade(d.name, d.remote, asked);
        steps.push(`upgraded to ${d.remote}`);
      }
      await plugins.configure(d.name, d.env);
      steps.push("configured");
      await plugins.enable(d.name);
      steps.push("enabled");
      return { state: "enabled", steps };
    }
    if (missingEnv(found.env, d.env).length > 0) {
      if (found.enabled) {
        await plugins.disable(d.name);
        steps.push("disabled");
      }
      await plugins.configure(d.name, d.env);
      steps.push("configured");
      await plugins.enable(d.name);
      steps.push("enabled");
    } else if (!found.enabled) {
      await plugins.enable(d.name);
      steps.push("enabled");
    }
    return { state: "enabled", steps };
  } catch (err) {
    return { state: "failed", steps, error: String((err as Error)?.message ?? err).slice(0, 400) };
  }
}
