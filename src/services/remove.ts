// vsp remove: what deploy made, and with purgeVault the Vault objects; user secrets stay.
import {
  bootstrapRoleName,
  ISSUANCE_LABELS,
  OBJECT_LABELS,
  policyName,
  readRoleName,
  tokenRoleName,
} from "../../common/contract.js";
import { listConfigs, removeConfig } from "../docker/configs.js";
import type { Engine } from "../docker/engine.js";
import { listSecrets, removeSecret, removeSecretWhenFree } from "../docker/secrets.js";
import { findService, removeService } from "../docker/services.js";
import { describe, VspError } from "../errors.js";
import type { VaultClient } from "../vault/client.js";
import { readDeployment } from "./deployment.js";
import { uninstallEverywhere } from "./installer.js";
import { waitPluginGone } from "./plugin-state.js";
import type { Reporter } from "./report.js";
import { withRunLock } from "./run-lock.js";
import { revokeBootstrapToken } from "./vault-objects.js";

export interface RemoveResult {
  removed: string[];
  userSecretsLeft: string[];
  /** Task credentials of running tasks: kept (their records too, so a later deploy revokes them), or revoked with purgeVault. */
  taskCredentials: { kept: number; revoked: number };
}

export function removeDeployment(
  engine: Engine,
  vault: VaultClient | undefined,
  o: { name: string; purgeVault: boolean },
  r: Reporter,
): Promise<RemoveResult> {
  return withRunLock(engine, o.name, "remove", () => removeLocked(engine, vault, o, r));
}

async function removeLocked(
  engine: Engine,
  vault: VaultClient | undefined,
  o: { name: string; purgeVault: boolean },
  r: Reporter,
): Promise<RemoveResult> {
  const removed: string[] = [];
  const d = await readDeployment(engine, o.name);
  const probe = await findService(engine, `${o.name}-probe`);
  // Installer mode: the plugin comes off every manager before the installer service goes.
  if (d.installer) {
    await uninstallEverywhere(engine, d.installer, o.name).catch((err) => {
      r.warn(
        `the plugin may remain on some managers (${describe(err)}): remove it there with docker plugin rm -f ${o.name}`,
      );
      return removeService(engine, d.installer!.id);
    });
    removed.push(`service ${d.installer.name} (and the plugin on every manager)`);
  }
  for (const svc of [d.plugin, d.helper, probe]) {
    if (!svc) continue;
    await removeService(engine, svc.id);
    removed.push(`service ${svc.name}`);
  }
  if (d.plugin)
    await waitPluginGone(engine, o.name).catch(() => r.warn(`plugin ${o.name} still present on this engine`));
  for (const s of d.bootstrapSecrets) {
    if (!(await removeSecretWhenFree(engine, s.id, 30_000)))
      throw new VspError(`secret ${s.name} is still in use`);
    if (o.purgeVault && vault && s.accessor) {
      const outcome = await revokeBootstrapToken(vault, o.name, s.accessor).catch(() => "gone" as const);
      if (outcome === "foreign")
        r.warn(
          `secret ${s.name} names accessor ${s.accessor}, which is not a bootstrap token of "${o.name}": not revoked`,
        );
    }
    removed.push(`secret ${s.name}`);
  }
  const boards = [
    ...(await listConfigs(engine, [
      `${OBJECT_LABELS.managedBy}=${o.name}`,
      `${OBJECT_LABELS.role}=plugin-status`,
    ])),
    // Rollover states: without the plugin nothing rolls; a later deploy starts afresh.
    ...(await listConfigs(engine, [
      `${OBJECT_LABELS.managedBy}=${o.name}`,
      `${OBJECT_LABELS.role}=refresh-state`,
    ])),
    // Install reports left by an installer that could not finish.
    ...(await listConfigs(engine, [
      `${OBJECT_LABELS.managedBy}=${o.name}`,
      `${OBJECT_LABELS.role}=install-report`,
    ])),
  ];
  for (const c of boards) {
    await removeConfig(engine, c.id).catch(() => undefined);
    removed.push(`config ${c.name}`);
  }
  const taskCredentials = await removeIssuanceRecords(engine, o.purgeVault ? vault : undefined, o.name, r);
  const probes = await listSecrets(engine, [
    `${OBJECT_LABELS.managedBy}=${o.name}`,
    `${OBJECT_LABELS.role}=probe`,
  ]);
  for (const s of probes) await removeSecret(engine, s.id).catch(() => undefined);
  if (o.purgeVault && vault) {
    await vault.deleteTokenRole(tokenRoleName(o.name));
    await vault.deleteTokenRole(readRoleName(o.name));
    await vault.deleteTokenRole(bootstrapRoleName(o.name));
    await vault.deletePolicy(policyName(o.name));
    removed.push(
      `token role ${tokenRoleName(o.name)}`,
      `token role ${readRoleName(o.name)}`,
      `token role ${bootstrapRoleName(o.name)}`,
      `policy ${policyName(o.name)}`,
    );
  }
  const userSecretsLeft = (await listSecrets(engine)).filter((s) => s.driver === o.name).map((s) => s.name);
  if (userSecretsLeft.length > 0) {
    r.warn(
      `${userSecretsLeft.length} secret(s) of user stacks still use driver ${o.name}; their services cannot start new tasks until vsp is deployed again: ${userSecretsLeft.join(", ")}`,
    );
  }
  return { removed, userSecretsLeft, taskCredentials };
}

/**
 * Records of ended tasks go. Live ones stay (a later deploy's plugin revokes them when their
 * tasks end) unless the Vault objects are purged too: then each token that Vault confirms as a
 * task token of this deployment for that task is revoked (a record is only a Swarm label).
 */
async function removeIssuanceRecords(
  engine: Engine,
  vault: VaultClient | undefined,
  name: string,
  r: Reporter,
): Promise<RemoveResult["taskCredentials"]> {
  const result = { kept: 0, revoked: 0 };
  const records = await listConfigs(engine, [
    `${OBJECT_LABELS.managedBy}=${name}`,
    `${OBJECT_LABELS.role}=issuance`,
  ]);
  for (const c of records) {
    const live = c.labels[ISSUANCE_LABELS.state] === "live";
    const accessor = c.labels[ISSUANCE_LABELS.accessor];
    if (live && !vault) {
      result.kept++;
      continue;
    }
    if (live && vault && accessor) {
      const info = await vault.lookupAccessor(accessor);
      if (
        info &&
        info.role === tokenRoleName(name) &&
        info.meta?.task_id === c.labels[ISSUANCE_LABELS.task]
      ) {
        await vault.revokeAccessor(accessor);
        result.revoked++;
      }
    }
    await removeConfig(engine, c.id).catch(() => undefined);
  }
  if (result.kept > 0)
    r.warn(
      `${result.kept} task credential(s) of running tasks stay valid until their TTL; their records are kept so that a later vsp deploy revokes them when the tasks end (vsp remove --purge-vault revokes them now)`,
    );
  return result;
}
