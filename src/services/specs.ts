// Service specs for the helper and the plugin service, and the hash that tells whether one changed.
import { createHash } from "node:crypto";
import {
  BOOTSTRAP_SECRET_TARGET,
  HELPER_COMMAND,
  helperServiceName,
  OBJECT_LABELS,
  PLUGIN_ENV,
  pluginConfig,
  pluginServiceName,
} from "../../common/contract.js";
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

export function pluginServiceSpec(o: PluginServiceOptions): Record<string, unknown> {
  const env = [
    `${PLUGIN_ENV.vaultAddr}=${o.vaultAddr}`,
    `${PLUGIN_ENV.name}=${o.name}`,
    `${PLUGIN_ENV.policyPrefix}=${o.policyPrefix}`,
    `${PLUGIN_ENV.taskPolicies}=${o.taskPolicies.join(",")}`,
    ...(o.vaultNamespace ? [`${PLUGIN_ENV.vaultNamespace}=${o.vaultNamespace}`] : []),
    ...(o.vaultCaCertPem ? [`${PLUGIN_ENV.vaultCaCert}=${o.vaultCaCertPem}`] : []),
  ];
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
      [DEPLOY_LABELS.vaultAddr]: o.vaultAddr,
      [DEPLOY_LABELS.policyPrefix]: o.policyPrefix,
      [DEPLOY_LABELS.pluginRef]: o.pluginRef,
      ...(o.pluginDigest ? { [DEPLOY_LABELS.pluginDigest]: o.pluginDigest } : {}),
      [OBJECT_LABELS.configHash]: specHash(taskTemplate),
    },
    TaskTemplate: taskTemplate,
    Mode: { Global: {} },
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

/** What the registry's plugin asks for beyond or instead of the expected privileges, or undefined. */
export function privilegeMismatch(
  asked: { name: string; value: string[] }[],
  expected: { name: string; value: string[] }[],
): string | undefined {
  const key = (p: { name: string; value: string[] }) => `${p.name}=${[...p.value].sort().join(",")}`;
  const want = new Set(expected.map(key));
  const got = new Set(asked.map(key));
  const extra = [...got].filter((k) => !want.has(k));
  const missing = [...want].filter((k) => !got.has(k));
  if (extra.length === 0 && missing.length === 0) return undefined;
  return [
    ...(extra.length ? [`asks ${extra.join("; ")}`] : []),
    ...(missing.length ? [`lacks ${missing.join("; ")}`] : []),
  ].join("; ");
}
