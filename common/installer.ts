// Installer mode, shared by the CLI and the installer: for swarms whose managers run without
// experimental features (no plugin services), a global service on the managers installs the
// plugin on its own node with `docker plugin install` semantics, keeps it enabled and upgraded,
// and reports per node in one Swarm config (labels only) that `vsp status` reads.
import { OBJECT_LABELS } from "./contract.js";

export type DeployMode = "service" | "installer";

export function installerServiceName(name: string): string {
  return `${name}-installer`;
}

export const INSTALLER_COMMAND = ["node", "/vsp/installer.cjs"];

/** What the installer service's env tells each installer. */
export const INSTALLER_ENV = {
  /** The plugin's local name on the node: the driver name stacks use. */
  pluginName: "VSP_INSTALL_NAME",
  /** The registry reference to install, e.g. registry:5000/vsp:c-0123abcd. */
  remote: "VSP_INSTALL_REMOTE",
  /** JSON: the privileges vsp generated; a plugin asking for others is not installed. */
  privileges: "VSP_INSTALL_PRIVILEGES",
  /** JSON array of KEY=value: the plugin's settings (no token: they show in docker plugin inspect). */
  pluginEnv: "VSP_INSTALL_PLUGIN_ENV",
  /** install (default) or remove: vsp remove switches it, waits for every node, then removes the service. */
  action: "VSP_INSTALL_ACTION",
  intervalMs: "VSP_INSTALL_INTERVAL_MS",
  /** A hash of everything above: reports name it, so deploy waits for what it asked, not an older state. */
  generation: "VSP_INSTALL_GENERATION",
} as const;

export const INSTALL_REPORT_LABELS = {
  node: "com.vsp.node",
  hostname: "com.vsp.hostname",
  remote: "com.vsp.plugin-ref",
  generation: "com.vsp.install-generation",
  state: "com.vsp.install-state",
  error: "com.vsp.install-error",
  at: "com.vsp.install-at",
} as const;

/** enabled: installed from `remote` and enabled; removed: not on the node (action remove); failed: see error. */
export type InstallState = "enabled" | "removed" | "failed";

export interface InstallReport {
  id?: string;
  version?: number;
  nodeId: string;
  hostname: string;
  remote: string;
  /** VSP_INSTALL_GENERATION of the installer that wrote it. */
  generation: string;
  state: InstallState;
  error?: string;
  at: string;
}

const NODE_ID = /^[a-z0-9]{10,64}$/;
export const GENERATION = /^[a-f0-9]{8,64}$/;
const STATES = new Set<InstallState>(["enabled", "removed", "failed"]);

export function reportName(deployment: string, nodeId: string): string {
  return `${deployment}-install-${nodeId}`.slice(0, 64);
}

export function reportLabels(deployment: string, r: InstallReport): Record<string, string> {
  return {
    [OBJECT_LABELS.managedBy]: deployment,
    [OBJECT_LABELS.role]: "install-report",
    [INSTALL_REPORT_LABELS.node]: r.nodeId,
    [INSTALL_REPORT_LABELS.hostname]: r.hostname.slice(0, 128),
    [INSTALL_REPORT_LABELS.remote]: r.remote.slice(0, 512),
    [INSTALL_REPORT_LABELS.generation]: r.generation,
    [INSTALL_REPORT_LABELS.state]: r.state,
    ...(r.error ? { [INSTALL_REPORT_LABELS.error]: r.error.slice(0, 500) } : {}),
    [INSTALL_REPORT_LABELS.at]: r.at,
  };
}

/** A report read back from a config anyone with Docker access can write: strict, or nothing. */
export function parseReport(
  deployment: string,
  name: string,
  labels: Record<string, string>,
  id?: string,
  version?: number,
): InstallReport | undefined {
  const nodeId = labels[INSTALL_REPORT_LABELS.node] ?? "";
  const state = labels[INSTALL_REPORT_LABELS.state] as InstallState;
  const at = labels[INSTALL_REPORT_LABELS.at] ?? "";
  if (labels[OBJECT_LABELS.managedBy] !== deployment || labels[OBJECT_LABELS.role] !== "install-report")
    return undefined;
  if (!NODE_ID.test(nodeId) || name !== reportName(deployment, nodeId)) return undefined;
  const generation = labels[INSTALL_REPORT_LABELS.generation] ?? "";
  if (!STATES.has(state) || Number.isNaN(Date.parse(at)) || !GENERATION.test(generation)) return undefined;
  const error = labels[INSTALL_REPORT_LABELS.error];
  return {
    ...(id ? { id } : {}),
    ...(version !== undefined ? { version } : {}),
    nodeId,
    hostname: labels[INSTALL_REPORT_LABELS.hostname] ?? "",
    remote: labels[INSTALL_REPORT_LABELS.remote] ?? "",
    generation,
    state,
    ...(error ? { error } : {}),
    at,
  };
}
