// The installer's settings, read from its service's env (written by vsp deploy; validated anyway).
import { GENERATION, INSTALLER_ENV } from "../../common/installer.js";
import type { Privilege } from "../../common/privileges.js";
import type { Desired } from "./reconcile.js";

function parseList<T>(raw: string | undefined, what: string, valid: (v: unknown) => v is T): T[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw ?? "");
  } catch {
    throw new Error(`${what} is not JSON`);
  }
  if (!Array.isArray(parsed) || !parsed.every(valid)) throw new Error(`${what} has an unexpected shape`);
  return parsed;
}

const isPrivilege = (v: unknown): v is Privilege =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as Privilege).name === "string" &&
  Array.isArray((v as Privilege).value) &&
  (v as Privilege).value.every((x) => typeof x === "string");
const isString = (v: unknown): v is string => typeof v === "string";

export function installerSettings(
  env: NodeJS.ProcessEnv,
): Desired & { intervalMs: number; generation: string } {
  const name = env[INSTALLER_ENV.pluginName] ?? "";
  const remote = env[INSTALLER_ENV.remote] ?? "";
  const action = env[INSTALLER_ENV.action] || "install";
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(name))
    throw new Error(`${INSTALLER_ENV.pluginName} is not a plugin name`);
  if (!/^[A-Za-z0-9._:/@-]{1,512}$/.test(remote))
    throw new Error(`${INSTALLER_ENV.remote} is not a reference`);
  if (action !== "install" && action !== "remove")
    throw new Error(`${INSTALLER_ENV.action} must be install or remove`);
  const intervalMs = Number(env[INSTALLER_ENV.intervalMs] || 10_000);
  if (!Number.isInteger(intervalMs) || intervalMs < 500)
    throw new Error(`${INSTALLER_ENV.intervalMs} must be >= 500`);
  const generation = env[INSTALLER_ENV.generation] ?? "";
  if (!GENERATION.test(generation)) throw new Error(`${INSTALLER_ENV.generation} is not a generation hash`);
  return {
    name,
    generation,
    remote,
    action,
    privileges: parseList(env[INSTALLER_ENV.privileges], INSTALLER_ENV.privileges, isPrivilege),
    env: parseList(env[INSTALLER_ENV.pluginEnv], INSTALLER_ENV.pluginEnv, isString),
    intervalMs,
  };
}
