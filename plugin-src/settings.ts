// Plugin settings from its environment (set through the plugin service's env), with safe defaults.
import { DEFAULT_NAME, DEFAULT_POLICY_PREFIX, PLUGIN_DOCKER_SOCKET, PLUGIN_ENV } from "../common/contract.js";

export interface PluginSettings {
  vaultAddr: string;
  vaultNamespace?: string;
  vaultCaCertPem?: string;
  name: string;
  tokenRole?: string;
  policyPrefix: string;
  /** Globs of the policies task tokens may carry (empty: <prefix>*). */
  taskPolicies: string[];
  vaultTimeoutMs: number;
  vaultRetries: number;
  repeatTtlMs: number;
  requestDeadlineMs: number;
  reapIntervalMs: number;
  refreshIntervalMs: number;
  refreshMaxRolling: number;
  socketPath: string;
  dockerSocket: string;
  /** info: a line per request; warn: failures and warnings only. */
  logLevel: "info" | "warn";
}

function int(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`plugin setting ${key}="${raw}" must be an integer from ${min} to ${max}`);
  }
  return n;
}

function logLevel(raw: string | undefined): "info" | "warn" {
  if (raw === undefined || raw === "" || raw === "info" || raw === "debug") return "info";
  if (raw === "warn" || raw === "error") return "warn";
  throw new Error(`plugin setting ${PLUGIN_ENV.logLevel}="${raw}" must be info or warn`);
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): PluginSettings {
  const opt = (key: string) => (env[key] ? env[key] : undefined);
  return {
    vaultAddr: env[PLUGIN_ENV.vaultAddr] ?? "",
    vaultNamespace: opt(PLUGIN_ENV.vaultNamespace),
    vaultCaCertPem: opt(PLUGIN_ENV.vaultCaCert),
    name: opt(PLUGIN_ENV.name) ?? DEFAULT_NAME,
    tokenRole: opt(PLUGIN_ENV.tokenRole),
    policyPrefix: env[PLUGIN_ENV.policyPrefix] ?? DEFAULT_POLICY_PREFIX,
    taskPolicies: (env[PLUGIN_ENV.taskPolicies] ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== ""),
    vaultTimeoutMs: int(env, PLUGIN_ENV.vaultTimeoutMs, 5000, 100, 60_000),
    vaultRetries: int(env, PLUGIN_ENV.vaultRetries, 2, 0, 5),
    repeatTtlMs: int(env, PLUGIN_ENV.repeatTtlMs, 60_000, 0, 3_600_000),
    requestDeadlineMs: int(env, PLUGIN_ENV.requestDeadlineMs, 20_000, 1000, 28_000),
    reapIntervalMs: int(env, PLUGIN_ENV.reapIntervalMs, 5000, 500, 60_000),
    refreshIntervalMs: int(env, PLUGIN_ENV.refreshIntervalMs, 20_000, 1000, 600_000),
    refreshMaxRolling: int(env, PLUGIN_ENV.refreshMaxRolling, 2, 1, 50),
    logLevel: logLevel(env[PLUGIN_ENV.logLevel]),
    socketPath: env.VSP_PLUGIN_SOCKET ?? "/run/docker/plugins/vsp.sock",
    dockerSocket: env.VSP_DOCKER_SOCKET ?? PLUGIN_DOCKER_SOCKET,
  };
}
