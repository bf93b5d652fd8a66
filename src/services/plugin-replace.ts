// Replacing the plugin service (the engine does not re-apply env on a plugin upgrade, so a changed
// spec means remove, then create). If the new service cannot be created or its plugin never comes
// up, the previous spec is put back, so a failed deploy does not leave the swarm without a plugin.
import { describe, VspError } from "../errors.js";
import type { Reporter } from "./report.js";

/** What replacing needs from the engine; deploy passes the real calls, unit tests fakes. */
export interface PluginServiceSteps {
  create(spec: Record<string, unknown>): Promise<string>;
  remove(id: string): Promise<void>;
  /** Until no manager lists the plugin. */
  waitGone(): Promise<void>;
  /** Until every manager runs the plugin enabled. */
  waitEnabled(): Promise<void>;
}

export async function replacePluginService(
  steps: PluginServiceSteps,
  previous: { id: string; spec: Record<string, unknown> } | undefined,
  next: Record<string, unknown>,
  r: Reporter,
): Promise<void> {
  if (previous) {
    await steps.remove(previous.id);
    await steps.waitGone();
  }
  let createdId: string | undefined;
  try {
    createdId = await steps.create(next);
    await steps.waitEnabled();
    return;
  } catch (err) {
    if (!previous) throw err;
    r.warn(`the new plugin service failed (${describe(err)}); putting the previous one back`);
    const restored = await restore(steps, createdId, previous.spec);
    if (restored === true)
      throw new VspError(
        `the new plugin service failed: ${describe(err)}; the previous plugin service was put back and serves as before`,
        "fix the cause, then run vsp deploy again",
      );
    throw new VspError(
      `the new plugin service failed (${describe(err)}) and the previous one could not be put back (${describe(restored.error)}): no plugin serves secrets now`,
      "fix the cause and run vsp deploy again; until then, tasks with vsp secrets cannot start",
    );
  }
}

/** True when the previous spec runs again, else what stopped it. */
async function restore(
  steps: PluginServiceSteps,
  createdId: string | undefined,
  spec: Record<string, unknown>,
): Promise<true | { error: unknown }> {
  try {
    if (createdId) {
      await steps.remove(createdId);
      await steps.waitGone();
    }
    await steps.create(spec);
    await steps.waitEnabled();
    return true;
  } catch (error) {
    return { error };
  }
}
