// vsp bootstrap-token rotate: new token → new versioned secret → helper swapped (start-first) →
// old token revoked after the grace period → probe. A failure before the revocation rolls back.
import type { Engine } from "../docker/engine.js";
import { removeSecret } from "../docker/secrets.js";
import { updateService } from "../docker/services.js";
import { describe, VspError } from "../errors.js";
import type { VaultClient } from "../vault/client.js";
import {
  type BootstrapSecret,
  DEPLOY_LABELS,
  issueBootstrapSecret,
  mountedBootstrapSecret,
  pluginCarrier,
  readDeployment,
  servicesMountingBootstrap,
} from "./deployment.js";
import { waitHelperRunning } from "./plugin-state.js";
import { probeRoundTrip } from "./probe.js";
import { inStep, type Reporter } from "./report.js";
import { withRunLock } from "./run-lock.js";
import { helperSpec } from "./specs.js";
import { revokeBootstrapToken } from "./vault-objects.js";

export type RotateStep = "secret" | "helper";

export interface RotateOptions {
  name: string;
  graceMs: number;
  /** Test hook: fail on purpose after this step, to prove the rollback. */
  /** Test seam: called after each step (tests fail or kill the process there); never set by the CLI's flags. */
  afterStep?: (step: RotateStep) => void | Promise<void>;
  /** Test hook: stop the process dead after this step (no rollback), as a kill would. */
}

export interface RotateResult {
  oldAccessor?: string;
  newAccessor: string;
  secret: string;
  removedSecrets: string[];
  probeMs: number;
}

export function rotate(
  engine: Engine,
  vault: VaultClient,
  o: RotateOptions,
  r: Reporter,
): Promise<RotateResult> {
  return withRunLock(engine, o.name, "rotate", () => rotateLocked(engine, vault, o, r));
}

async function rotateLocked(
  engine: Engine,
  vault: VaultClient,
  o: RotateOptions,
  r: Reporter,
): Promise<RotateResult> {
  const d = await readDeployment(engine, o.name);
  if (!d.helper || !pluginCarrier(d)) {
    throw new VspError(
      `no vsp deployment named "${o.name}" (helper or plugin service missing)`,
      "run vsp deploy first",
    );
  }
  const imageRef = d.helper.spec.Labels?.[DEPLOY_LABELS.imageRef];
  if (!imageRef)
    throw new VspError(`the helper service of "${o.name}" has no image label`, "run vsp deploy again");
  const current = mountedBootstrapSecret(d);

  for (const svc of await servicesMountingBootstrap(engine, d))
    r.warn(
      `service ${svc} mounts the bootstrap secret: it holds the old token until this rotation revokes it, and will not get the new one`,
    );
  for (const name of d.ignoredSecrets)
    r.warn(
      `secret ${name} is labelled as a bootstrap secret of "${o.name}" but its labels are malformed; ignored`,
    );
  // Leftovers of an interrupted rotation: secrets the helper does not mount.
  const removedSecrets: string[] = [];
  for (const s of d.bootstrapSecrets) {
    if (s.id === current?.id) continue;
    const outcome = await revokeBootstrapToken(vault, o.name, s.accessor).catch(() => "gone" as const);
    if (outcome === "foreign")
      r.warn(
        `secret ${s.name} names accessor ${s.accessor}, which is not a bootstrap token of "${o.name}": not revoked`,
      );
    await removeSecret(engine, s.id).catch(() => undefined);
    removedSecrets.push(s.name);
  }

  const issued = await inStep(r, "minting a new bootstrap token into a new secret", () =>
    issueBootstrapSecret(engine, vault, d),
  );
  try {
    await o.afterStep?.("secret");
    const spec = helperSpec(o.name, imageRef, issued);
    (spec.Labels as Record<string, string>)[DEPLOY_LABELS.rotatedAt] = new Date().toISOString();
    await inStep(r, "swapping the secret on the helper", async () => {
      const fresh = await readDeployment(engine, o.name);
      await updateService(engine, fresh.helper!, spec);
      await waitHelperRunning(engine, o.name, issued.id);
    });
    await o.afterStep?.("helper");
  } catch (err) {
    const incomplete = await rollback(engine, vault, o.name, imageRef, current, issued, r);
    if (incomplete)
      throw new VspError(
        `rotation failed (${describe(err)}) and the rollback is incomplete: ${incomplete}`,
        "check the helper service (vsp status), fix the cause and run the rotation again",
      );
    throw new VspError(
      `rotation failed and was rolled back: ${describe(err)}`,
      "the old token is still in use; fix the cause and run the rotation again",
    );
  }

  if (current?.accessor) {
    await inStep(r, `revoking the old token after ${o.graceMs / 1000}s grace`, async () => {
      await new Promise((res) => setTimeout(res, o.graceMs));
      // Already revoked behind vsp's back is fine: the point is that it is gone.
      if ((await revokeBootstrapToken(vault, o.name, current.accessor)) === "foreign")
        r.warn(
          `the helper's secret names accessor ${current.accessor}, which is not a bootstrap token of "${o.name}": not revoked`,
        );
    });
  }
  const probeMs = await inStep(r, "probe: the plugin answers with the new token", () =>
    probeRoundTrip(engine, o.name, imageRef),
  );
  if (current) {
    await removeSecret(engine, current.id).catch(() => undefined);
    removedSecrets.push(current.name);
  }
  return {
    oldAccessor: current?.accessor,
    newAccessor: issued.accessor,
    secret: issued.name,
    removedSecrets,
    probeMs,
  };
}

/**
 * Puts the helper back on the previous secret, then removes the new secret and revokes its
 * token. If the helper cannot be put back it may still mount the new secret: then the new
 * token is left valid and the returned text says so (never a helper holding a revoked token).
 */
async function rollback(
  engine: Engine,
  vault: VaultClient,
  name: string,
  imageRef: string,
  previous: { id: string; name: string } | undefined,
  issued: BootstrapSecret,
  r: Reporter,
): Promise<string | undefined> {
  r.warn("rolling back to the previous bootstrap token");
  if (previous) {
    try {
      const d = await readDeployment(engine, name);
      if (d.helper && mountedBootstrapSecret(d)?.id !== previous.id) {
        await updateService(engine, d.helper, helperSpec(name, imageRef, previous));
        await waitHelperRunning(engine, name, previous.id);
      }
    } catch (err) {
      return `the helper could not be put back on ${previous.name} (${describe(err)}); the new token in ${issued.name} stays valid`;
    }
  }
  await removeSecret(engine, issued.id).catch(() => undefined);
  await vault.revokeAccessor(issued.accessor).catch(() => undefined);
  return undefined;
}
