// vsp remove: what deploy made, and with purgeVault the Vault objects; user secrets stay.
import { OBJECT_LABELS, policyName, tokenRoleName } from "../../common/contract.js";
import { listConfigs, removeConfig } from "../docker/configs.js";
import type { Engine } from "../docker/engine.js";
import { listSecrets, removeSecret, removeSecretWhenFree } from "../docker/secrets.js";
import { findService, removeService } from "../docker/services.js";
import { VspError } from "../errors.js";
import type { VaultClient } from "../vault/client.js";
import { readDeployment } from "./deployment.js";
import { waitPluginGone } from "./plugin-state.js";
import type { Reporter } from "./report.js";

export interface RemoveResult {
  removed: string[];
  userSecretsLeft: string[];
}

export async function removeDeployment(
  engine: Engine,
  vault: VaultClient | undefined,
  o: { name: string; purgeVault: boolean },
  r: Reporter,
): Promise<RemoveResult> {
  const removed: string[] = [];
  const d = await readDeployment(engine, o.name);
  const probe = await findService(engine, `${o.name}-probe`);
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
    if (o.purgeVault && vault && s.accessor) await vault.revokeAccessor(s.accessor).catch(() => undefined);
    removed.push(`secret ${s.name}`);
  }
  for (const c of await listConfigs(engine, [
    `${OBJECT_LABELS.managedBy}=${o.name}`,
    `${OBJECT_LABELS.role}=plugin-status`,
  ])) {
    await removeConfig(engine, c.id).catch(() => undefined);
    removed.push(`config ${c.name}`);
  }
  const probes = await listSecrets(engine, [
    `${OBJECT_LABELS.managedBy}=${o.name}`,
    `${OBJECT_LABELS.role}=probe`,
  ]);
  for (const s of probes) await removeSecret(engine, s.id).catch(() => undefined);
  if (o.purgeVault && vault) {
    await vault.deleteTokenRole(tokenRoleName(o.name));
    await vault.deletePolicy(policyName(o.name));
    removed.push(`token role ${tokenRoleName(o.name)}`, `policy ${policyName(o.name)}`);
  }
  const userSecretsLeft = (await listSecrets(engine)).filter((s) => s.driver === o.name).map((s) => s.name);
  if (userSecretsLeft.length > 0) {
    r.warn(
      `${userSecretsLeft.length} secret(s) of user stacks still use driver ${o.name}; their services cannot start new tasks until vsp is deployed again: ${userSecretsLeft.join(", ")}`,
    );
  }
  return { removed, userSecretsLeft };
}
