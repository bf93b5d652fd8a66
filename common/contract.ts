// The contract shared by the CLI and the plugin: names, labels, wire types and
// the plugin's config.json. Dependency-free on purpose: both sides import it.

export const LABEL_PREFIX = "vsp.";
/** Prefix used by the proof of concept; accepted with the same meaning. */
export const LEGACY_LABEL_PREFIX = "dk.almbrand.docker.plugin.secretprovider.vault.";

export const PLUGIN_INTERFACE = "docker.secretprovider/1.0";
export const PLUGIN_SOCKET = "vsp.sock";
/**
 * The plugin's entrypoint. A plugin gets no image PATH, so `deploy` finds `node` on the base
 * image's PATH at build time and names it here. A small young generation keeps the plugin's
 * resident memory flat under load (Node's default lets it grow by ~50 MB before the first
 * scavenges settle); the cost is more, shorter scavenges.
 */
export function pluginEntrypoint(nodePath: string): string[] {
  return [nodePath, "--max-semi-space-size=2", "/vsp/plugin.cjs"];
}
/** Where the official node images keep it; the default when no build located it. */
export const DEFAULT_NODE_PATH = "/usr/local/bin/node";
/** Containers (helper, probe) resolve `node` through their image's PATH. */
export const HELPER_COMMAND = ["node", "/vsp/helper.cjs"];
export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";
/** Where the plugin sees the managers' socket, whatever its path on the host (--docker-socket). */
export const PLUGIN_DOCKER_SOCKET = "/var/run/docker.sock";
export const DEFAULT_NAME = "vsp";
export const DEFAULT_POLICY_PREFIX = "swarm-";
/** Where the helper sees its bootstrap secret, and so where the plugin reads it. */
export const BOOTSTRAP_SECRET_TARGET = "vsp-bootstrap-token";

/** Labels vsp puts on the Swarm objects it manages (outside `vsp.`, which is the secret-label namespace). */
export const OBJECT_LABELS = {
  managedBy: "com.vsp.managed-by",
  role: "com.vsp.role",
  accessor: "com.vsp.accessor",
  version: "com.vsp.version",
  configHash: "com.vsp.config-hash",
  createdAt: "com.vsp.created-at",
} as const;

/** Labels of a run lock (a Swarm config held while deploy, rotate or remove runs): who holds it. */
export const LOCK_LABELS = {
  command: "com.vsp.lock.command",
  host: "com.vsp.lock.host",
  pid: "com.vsp.lock.pid",
  since: "com.vsp.lock.since",
} as const;

/**
 * Labels of an issuance record: one Swarm config per credential the plugin minted for a
 * (task, secret). Identifiers only (task, service, accessor, lease): never a value or a token.
 */
export const ISSUANCE_LABELS = {
  task: "com.vsp.task",
  service: "com.vsp.service",
  serviceId: "com.vsp.service-id",
  secret: "com.vsp.secret",
  secretHash: "com.vsp.secret-hash",
  type: "com.vsp.type",
  accessor: "com.vsp.accessor",
  wrapAccessor: "com.vsp.wrap-accessor",
  lease: "com.vsp.lease",
  issuedAt: "com.vsp.issued-at",
  expiresAt: "com.vsp.expires-at",
  revoke: "com.vsp.revoke",
  state: "com.vsp.state",
  endedAt: "com.vsp.ended-at",
  reason: "com.vsp.reason",
} as const;

/** Labels on secret versions made by a refresh (vsp refresh, automatic rollover). */
export const REFRESH_LABELS = {
  /** The name of the first version: what `{secret}` and the default kv path keep meaning. */
  of: "com.vsp.refresh-of",
  version: "com.vsp.secret-version",
} as const;

/** Labels of a service's rollover state (one Swarm config per service with `vsp.refresh`). */
export const REFRESH_STATE_LABELS = {
  serviceId: "com.vsp.service-id",
  service: "com.vsp.service",
  modes: "com.vsp.refresh-modes",
  lastAt: "com.vsp.refresh-last-at",
  outcome: "com.vsp.refresh-outcome",
  reason: "com.vsp.refresh-reason",
  nextAt: "com.vsp.refresh-next-at",
  kvVersions: "com.vsp.refresh-kv-versions",
  rollout: "com.vsp.refresh-rollout",
} as const;

/** Label of the plugin's status config holding recent failures per service (JSON). */
export const FAILURES_LABEL = "com.vsp.failures";

export type ObjectRole =
  | "helper"
  | "plugin"
  | "bootstrap-token"
  | "plugin-status"
  | "issuance"
  | "refresh-state";

/** live: may be in use; revoked: vsp revoked it (or found it gone); failed: vsp would not or could not; kept: vsp.revoke=never. */
export type IssuanceState = "live" | "revoked" | "failed" | "kept";

export function policyName(name: string): string {
  return `${name}-plugin`;
}
export function tokenRoleName(name: string): string {
  return `${name}-task`;
}
/** The batch-token role the plugin mints kv read tokens on (one per policy, reused for a minute). */
export function readRoleName(name: string): string {
  return `${name}-task-read`;
}
/** Request headers naming the task a kv read is for; vsp deploy has the audit log keep them. */
export const AUDIT_HEADERS = { taskId: "X-Vsp-Task-Id", service: "X-Vsp-Service" } as const;
/** The engine lists a plugin installed as `name` under `name:latest`. */
export function isPluginNamed(listed: string, name: string): boolean {
  return listed === name || listed === `${name}:latest`;
}
/** The token role bootstrap tokens are minted on (period, policy, optional bound CIDRs). */
export function bootstrapRoleName(name: string): string {
  return `${name}-bootstrap`;
}
export function runLockName(name: string): string {
  return `${name}-lock`;
}

export function helperServiceName(name: string): string {
  return `${name}-helper`;
}
export function pluginServiceName(name: string): string {
  return `${name}-plugin`;
}
export function bootstrapSecretName(name: string, version: number): string {
  return `${name}-bootstrap-v${version}`;
}

/** POST /SecretProvider.GetSecret body, as sent by swarmkit. Every key is optional. */
export interface GetSecretRequest {
  SecretName?: string;
  SecretLabels?: Record<string, string>;
  ServiceHostname?: string;
  ServiceID?: string;
  ServiceName?: string;
  ServiceLabels?: Record<string, string>;
  TaskID?: string;
  TaskName?: string;
  TaskImage?: string;
  NodeID?: string;
  ServiceEndpointSpec?: unknown;
}

export interface GetSecretResponse {
  /** base64 of the value; absent on error. */
  Value?: string;
  Err?: string;
  DoNotReuse?: boolean;
}

export const MAX_VALUE_BYTES = 500 * 1024 - 1;

/** Environment the plugin reads; each is settable through the plugin service's env. */
export const PLUGIN_ENV = {
  vaultAddr: "VAULT_ADDR",
  vaultNamespace: "VAULT_NAMESPACE",
  vaultCaCert: "VSP_VAULT_CACERT_PEM",
  name: "VSP_NAME",
  tokenRole: "VSP_TOKEN_ROLE",
  policyPrefix: "VSP_POLICY_PREFIX",
  taskPolicies: "VSP_TASK_POLICIES",
  vaultTimeoutMs: "VSP_VAULT_TIMEOUT_MS",
  vaultRetries: "VSP_VAULT_RETRIES",
  repeatTtlMs: "VSP_REPEAT_TTL_MS",
  logLevel: "VSP_LOG_LEVEL",
  requestDeadlineMs: "VSP_REQUEST_DEADLINE_MS",
  reapIntervalMs: "VSP_REAP_INTERVAL_MS",
  refreshIntervalMs: "VSP_REFRESH_INTERVAL_MS",
  refreshMaxRolling: "VSP_REFRESH_MAX_ROLLING",
} as const;

export interface PluginConfigOptions {
  dockerSocket?: string;
  /** Absolute path of `node` in the plugin's rootfs. */
  nodePath?: string;
  description?: string;
}

interface PluginEnvEntry {
  name: string;
  description: string;
  settable: string[];
  value: string;
}

export interface PluginConfig {
  description: string;
  documentation: string;
  entrypoint: string[];
  workdir: string;
  interface: { types: string[]; socket: string };
  network: { type: string };
  mounts: {
    name: string;
    description: string;
    source: string;
    destination: string;
    type: string;
    options: string[];
  }[];
  env: PluginEnvEntry[];
  linux: { capabilities: string[] };
}

const envDefaults: Record<keyof typeof PLUGIN_ENV, [string, string]> = {
  vaultAddr: ["", "Vault/OpenBao address, e.g. https://vault.example:8200"],
  vaultNamespace: ["", "Vault Enterprise namespace"],
  vaultCaCert: ["", "PEM of the CA that signs Vault's certificate"],
  name: [DEFAULT_NAME, "vsp deployment name (helper label value, role and policy names)"],
  tokenRole: ["", "token role for task tokens (default <name>-task)"],
  policyPrefix: [DEFAULT_POLICY_PREFIX, "prefix of service policies"],
  taskPolicies: ["", "comma-separated policy globs task tokens may carry (default <prefix>*)"],
  vaultTimeoutMs: ["5000", "timeout of one Vault call in ms"],
  vaultRetries: ["2", "retries of a Vault call on network errors"],
  repeatTtlMs: ["60000", "how long a repeated request gets the value already issued"],
  logLevel: ["info", "info: a log line per request; warn: failures only"],
  requestDeadlineMs: ["20000", "deadline of one GetSecret request in ms (Swarm gives up after 30 s)"],
  reapIntervalMs: ["5000", "how often the leader's plugin revokes credentials of ended tasks, in ms"],
  refreshIntervalMs: ["20000", "how often the leader's plugin checks services with vsp.refresh, in ms"],
  refreshMaxRolling: ["2", "at most this many automatic rollouts at once"],
};

/** config.json of the managed plugin. The docker.sock source is a host path: a build option. */
export function pluginConfig(opts: PluginConfigOptions = {}): PluginConfig {
  const socket = opts.dockerSocket ?? DEFAULT_DOCKER_SOCKET;
  return {
    description: opts.description ?? "vsp: Vault/OpenBao secrets for Swarm tasks",
    documentation: "https://github.com/vsp/vsp",
    entrypoint: pluginEntrypoint(opts.nodePath ?? DEFAULT_NODE_PATH),
    workdir: "/vsp",
    interface: { types: [PLUGIN_INTERFACE], socket: PLUGIN_SOCKET },
    network: { type: "host" },
    mounts: [
      {
        name: "docker-socket",
        description: "the manager's Docker socket, to read the bootstrap token from the helper",
        source: socket,
        destination: PLUGIN_DOCKER_SOCKET,
        type: "bind",
        options: ["rbind", "rw"],
      },
    ],
    env: (Object.keys(PLUGIN_ENV) as (keyof typeof PLUGIN_ENV)[]).map((k) => ({
      name: PLUGIN_ENV[k],
      description: envDefaults[k][1],
      settable: ["value"],
      value: envDefaults[k][0],
    })),
    linux: { capabilities: [] },
  };
}
