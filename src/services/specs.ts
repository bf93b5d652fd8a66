// Service specs for the helper and the plugin service, and the hash that tells whether one changed.
import { createHash } from "node:crypto";
import {
  BOOTSTRAP_SECRET_TARGET,
  HELPER_COMMAND,
  helperServiceName,
  OBJECT_LABELS,
  PLUGIN_DOCKER_SOCKET,
  PLUGIN_ENV,
  pluginConfig,
  pluginServiceName,
} from "../../common/contract.js";
import { INSTALLER_COMMAND, INSTALLER_ENV, installerServiceName } from "../../common/installer.js";
import type { PluginPrivilege } from "../docker/plugins.js";
import { DEPLOY_LABELS, managedLabels } from "./deployment.js";

const MANAGERS_ONLY = { Constraints: ["node.role==manager"] };

export function specHash(part: unknown): string {
  return createHash("sha256").update(JSON.stringify(part)).digest("hex").slice(0, 16);
}

export function helperSpec(
  name: string,
  imageRef: string,
  secret: { id: string; name: string },
): Record<string, unknown> {
  const taskTemplate = {
    ContainerSpec: {
      Image: imageRef,
      Command: HELPER_COMMAND,
      Labels: managedLabels(name, "helper"),
      ReadOnly: true,
      CapabilityDrop: ["ALL"],
      Secrets: [
        {
          File: { Name: BOOTSTRAP_SECRET_TARGET, UID: "0", GID: "0", Mode: 0o400 },
          SecretID: secret.id,
          SecretName: secret.name,
        },
      ],
      StopGracePeriod: 5_000_000_000,
    },
    Placement: MANAGERS_ONLY,
    RestartPolicy: { Condition: "any", Delay: 1_000_000_000 },
  };
  return {
    Name: helperServiceName(name),
    Labels: {
      ...managedLabels(name, "helper"),
      [DEPLOY_LABELS.imageRef]: imageRef,
      [OBJECT_LABELS.configHash]: specHash(taskTemplate),
    },
    TaskTemplate: taskTemplate,
    Mode: { Global: {} },
    // A rotation starts the new helper task before the old one stops: the plugin always finds one.
    UpdateConfig: { Parallelism: 1, Order: "start-first", FailureAction: "pause" },
  };
}

export interface PluginServiceOptions {
  name: string;
  pluginRef: string;
  /** The registry's digest of pluginRef when deployed (recorded, for vsp status). */
  pluginDigest?: string;
  privileges: PluginPrivilege[];
  vaultAddr: string;
  vaultNamespace?: string;
  vaultCaCertPem?: string;
  policyPrefix: string;
  taskPolicies: string[];
}

/** The plugin's settings (KEY=value): the same in both modes, never a token. */
export function pluginSettings(o: PluginServiceOptions): string[] {
  return [
    `${PLUGIN_ENV.vaultAddr}=${o.vaultAddr}`,
    `${PLUGIN_ENV.name}=${o.name}`,
    `${PLUGIN_ENV.policyPrefix}=${o.policyPrefix}`,
    `${PLUGIN_ENV.taskPolicies}=${o.taskPolicies.join(",")}`,
    ...(o.vaultNamespace ? [`${PLUGIN_ENV.vaultNamespace}=${o.vaultNamespace}`] : []),
    ...(o.vaultCaCertPem ? [`${PLUGIN_ENV.vaultCaCert}=${o.vaultCaCertPem}`] : []),
  ];
}

/** Labels both the plugin service and the installer service carry: what was deployed, for status. */
function deployedLabels(o: PluginServiceOptions): Record<string, string> {
  return {
    [DEPLOY_LABELS.vaultAddr]: o.vaultAddr,
    [DEPLOY_LABELS.policyPrefix]: o.policyPrefix,
    [DEPLOY_LABELS.pluginRef]: o.pluginRef,
    ...(o.pluginDigest ? { [DEPLOY_LABELS.pluginDigest]: o.pluginDigest } : {}),
  };
}

export function pluginServiceSpec(o: PluginServiceOptions): Record<string, unknown> {
  const env = pluginSettings(o);
  const taskTemplate = {
    Runtime: "plugin",
    // Lowercase keys: swarmkit's PluginSpec JSON (the documented PluginPrivilege key is dropped).
    PluginSpec: { name: o.name, remote: o.pluginRef, privileges: o.privileges, disabled: false, env },
    Placement: MANAGERS_ONLY,
  };
  return {
    Name: pluginServiceName(o.name),
    Labels: {
      ...managedLabels(o.name, "plugin"),
      ...deployedLabels(o),
      [OBJECT_LABELS.configHash]: specHash(taskTemplate),
    },
    TaskTemplate: taskTemplate,
    Mode: { Global: {} },
  };
}

export interface InstallerOptions extends PluginServiceOptions {
  /** The vsp image (by digest): the installer runs from it. */
  imageRef: string;
  dockerSocket: string;
  action: "install" | "remove";
  /** How often each installer checks its node (default 10 s). */
  intervalMs?: number;
}

/**
 * Installer mode: one task per manager that installs the plugin on its node through the node's
 * Docker socket, keeps it enabled and upgraded, and reports (common/installer.ts).
 */
export function installerGeneration(env: string[]): string {
  return specHash(env.filter((e) => !e.startsWith(`${INSTALLER_ENV.generation}=`)));
}

export function installerSpec(o: InstallerOptions): Record<string, unknown> {
  const env = [
    `${INSTALLER_ENV.pluginName}=${o.name}`,
    `${INSTALLER_ENV.remote}=${o.pluginRef}`,
    `${INSTALLER_ENV.privileges}=${JSON.stringify(o.privileges.map((p) => ({ name: p.name, description: p.description, value: p.value })))}`,
    `${INSTALLER_ENV.pluginEnv}=${JSON.stringify(pluginSettings(o))}`,
    `${INSTALLER_ENV.action}=${o.action}`,
    ...(o.intervalMs ? [`${INSTALLER_ENV.intervalMs}=${o.intervalMs}`] : []),
  ];
  env.push(`${INSTALLER_ENV.generation}=${installerGeneration(env)}`);
  const taskTemplate = {
    ContainerSpec: {
      Image: o.imageRef,
      Command: INSTALLER_COMMAND,
      Env: env,
      Labels: managedLabels(o.name, "installer"),
      ReadOnly: true,
      CapabilityDrop: ["ALL"],
      Mounts: [{ Type: "bind", Source: o.dockerSocket, Target: PLUGIN_DOCKER_SOCKET }],
      StopGracePeriod: 5_000_000_000,
    },
    Placement: MANAGERS_ONLY,
    RestartPolicy: { Condition: "any", Delay: 5_000_000_000 },
  };
  return {
    Name: installerServiceName(o.name),
    Labels: {
      ...managedLabels(o.name, "installer"),
      ...deployedLabels(o),
      [OBJECT_LABELS.configHash]: specHash(taskTemplate),
    },
    TaskTemplate: taskTemplate,
    Mode: { Global: {} },
    // One node at a time: the leader's plugin is briefly disabled while its node upgrades.
    UpdateConfig: { Parallelism: 1, Order: "stop-first", FailureAction: "continue" },
  };
}

export function sameHash(
  current: { spec: { Labels?: Record<string, string> } } | undefined,
  desired: Record<string, unknown>,
): boolean {
  const want = (desired.Labels as Record<string, string>)[OBJECT_LABELS.configHash];
  return current?.spec.Labels?.[OBJECT_LABELS.configHash] === want;
}

/**
 * The privileges the engine derives from the config.json vsp generates (moby's rules: a host
 * network, one "mount" per bind source; no devices, no capabilities).
 */
export function expectedPrivileges(dockerSocket: string): { name: string; value: string[] }[] {
  const config = pluginConfig({ dockerSocket });
  const out: { name: string; value: string[] }[] = [];
  if (config.network.type && !["null", "bridge"].includes(config.network.type))
    out.push({ name: "network", value: [config.network.type] });
  for (const m of config.mounts) if (m.source) out.push({ name: "mount", value: [m.source] });
  if (config.linux.capabilities.length) out.push({ name: "capabilities", value: config.linux.capabilities });
  return out;
}
