// What a vsp deployment consists of in the swarm, read back from the objects' labels.
import {
  bootstrapSecretName,
  helperServiceName,
  OBJECT_LABELS,
  pluginServiceName,
} from "../../common/contract.js";
import { type DeployMode, installerServiceName } from "../../common/installer.js";
import type { Engine } from "../docker/engine.js";
import { createSecret, listSecrets, type SecretInfo } from "../docker/secrets.js";
import { findService, listAllServices, type ServiceInfo } from "../docker/services.js";
import type { VaultClient } from "../vault/client.js";
import { mintBootstrapToken } from "./vault-objects.js";

export const DEPLOY_LABELS = {
  vaultAddr: "com.vsp.vault-addr",
  policyPrefix: "com.vsp.policy-prefix",
  pluginRef: "com.vsp.plugin-ref",
  pluginDigest: "com.vsp.plugin-digest",
  imageRef: "com.vsp.image-ref",
  rotatedAt: "com.vsp.rotated-at",
} as const;

export interface BootstrapSecret extends SecretInfo {
  version: number;
  accessor: string;
}

export interface Deployment {
  name: string;
  plugin?: ServiceInfo;
  /** Installer mode's service (instead of the plugin service). */
  installer?: ServiceInfo;
  helper?: ServiceInfo;
  /** Bootstrap secrets, newest first. */
  bootstrapSecrets: BootstrapSecret[];
  /** Secrets labelled as bootstrap secrets whose labels are malformed: ignored (callers warn). */
  ignoredSecrets: string[];
}

export function managedLabels(name: string, role: string): Record<string, string> {
  return { [OBJECT_LABELS.managedBy]: name, [OBJECT_LABELS.role]: role };
}

export async function readDeployment(engine: Engine, name: string): Promise<Deployment> {
  const [plugin, installer, helper, secrets] = await Promise.all([
    findService(engine, pluginServiceName(name)),
    findService(engine, installerServiceName(name)),
    findService(engine, helperServiceName(name)),
    listSecrets(engine, [`${OBJECT_LABELS.managedBy}=${name}`, `${OBJECT_LABELS.role}=bootstrap-token`]),
  ]);
  const bootstrapSecrets: BootstrapSecret[] = [];
  const ignoredSecrets: string[] = [];
  for (const s of secrets) {
    const version = s.labels[OBJECT_LABELS.version] ?? "";
    const accessor = s.labels[OBJECT_LABELS.accessor] ?? "";
    if (/^[1-9]\d{0,8}$/.test(version) && /^[A-Za-z0-9._-]{1,100}$/.test(accessor))
      bootstrapSecrets.push({ ...s, version: Number(version), accessor });
    else ignoredSecrets.push(s.name);
  }
  bootstrapSecrets.sort((a, b) => b.version - a.version);
  return {
    name,
    ...(plugin ? { plugin } : {}),
    ...(installer ? { installer } : {}),
    ...(helper ? { helper } : {}),
    bootstrapSecrets,
    ignoredSecrets,
  };
}

/**
 * Services other than the helper that mount one of the deployment's bootstrap secrets: a
 * stack can name any secret as external, and with it gets the plugin's own token.
 */
export async function servicesMountingBootstrap(engine: Engine, d: Deployment): Promise<string[]> {
  const ids = new Set(d.bootstrapSecrets.map((s) => s.id));
  if (ids.size === 0) return [];
  const found: string[] = [];
  for (const svc of await listAllServices(engine)) {
    if (svc.id === d.helper?.id) continue;
    const spec = svc.spec as { TaskTemplate?: { ContainerSpec?: { Secrets?: { SecretID?: string }[] } } };
    if ((spec.TaskTemplate?.ContainerSpec?.Secrets ?? []).some((x) => x.SecretID && ids.has(x.SecretID)))
      found.push(svc.name);
  }
  return found;
}

/** The mode the deployment runs in now, if any. */
export function currentMode(d: Deployment): DeployMode | undefined {
  return d.plugin ? "service" : d.installer ? "installer" : undefined;
}

/** The service that carries the deployed plugin's labels (ref, digest, Vault address): plugin or installer. */
export function pluginCarrier(d: Deployment): ServiceInfo | undefined {
  return d.plugin ?? d.installer;
}

/** The bootstrap secret the helper mounts now. */
export function mountedBootstrapSecret(d: Deployment): BootstrapSecret | undefined {
  const spec = d.helper?.spec as
    | { TaskTemplate?: { ContainerSpec?: { Secrets?: { SecretID: string }[] } } }
    | undefined;
  const id = spec?.TaskTemplate?.ContainerSpec?.Secrets?.[0]?.SecretID;
  return d.bootstrapSecrets.find((s) => s.id === id);
}

export function nextBootstrapName(d: Deployment): { name: string; version: number } {
  const version = (d.bootstrapSecrets[0]?.version ?? 0) + 1;
  return { name: bootstrapSecretName(d.name, version), version };
}

/** Mints a bootstrap token and stores it as the next versioned secret, labelled with its accessor. */
export async function issueBootstrapSecret(
  engine: Engine,
  vault: VaultClient,
  d: Deployment,
): Promise<BootstrapSecret> {
  const minted = await mintBootstrapToken(vault, d.name);
  const next = nextBootstrapName(d);
  const labels = {
    ...managedLabels(d.name, "bootstrap-token"),
    [OBJECT_LABELS.accessor]: minted.accessor,
    [OBJECT_LABELS.version]: String(next.version),
    [OBJECT_LABELS.createdAt]: new Date().toISOString(),
  };
  try {
    const id = await createSecret(engine, next.name, { data: minted.token }, labels);
    return {
      id,
      name: next.name,
      labels,
      createdAt: labels[OBJECT_LABELS.createdAt]!,
      version: next.version,
      accessor: minted.accessor,
    };
  } catch (err) {
    await vault.revokeAccessor(minted.accessor).catch(() => undefined);
    throw err;
  }
}
