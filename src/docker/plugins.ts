// Managed plugins: create from a rootfs tar (dockerode's createPlugin sends no body), push,
// privileges, state.
import { describe, VspError } from "../errors.js";
import { dial, dockerApi, type Engine } from "./engine.js";
import { followStream, type Progress } from "./images.js";

export interface PluginPrivilege {
  name: string;
  description: string;
  value: string[];
}

export interface PluginInfo {
  Id: string;
  Name: string;
  Enabled: boolean;
  PluginReference?: string;
}

export async function createPluginFromTar(
  engine: Engine,
  name: string,
  tar: NodeJS.ReadableStream,
): Promise<void> {
  try {
    await dial(engine, {
      method: "POST",
      path: "/plugins/create",
      query: { name },
      body: tar,
      headers: { "Content-Type": "application/x-tar" },
    });
  } catch (err) {
    throw new VspError(`creating plugin ${name} failed: ${describe(err)}`);
  }
}

export async function pushPlugin(engine: Engine, name: string, progress: Progress): Promise<void> {
  const stream = await dial<NodeJS.ReadableStream>(engine, {
    method: "POST",
    path: `/plugins/${encodeURIComponent(name)}/push`,
    headers: { "X-Registry-Auth": Buffer.from("{}").toString("base64") },
    isStream: true,
  });
  await followStream(engine, stream, `pushing plugin ${name}`, progress);
}

export async function listPlugins(engine: Engine): Promise<PluginInfo[]> {
  return (await dockerApi(engine).listPlugins({})) as unknown as PluginInfo[];
}

export async function removePlugin(engine: Engine, name: string): Promise<void> {
  await dockerApi(engine)
    .getPlugin(name, undefined)
    .remove({ force: true })
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
}

/** What a plugin in a registry asks for, as the engine reads it from its config. */
export async function pluginPrivileges(engine: Engine, remote: string): Promise<PluginPrivilege[]> {
  try {
    const raw = await dial<{ Name: string; Description: string; Value: string[] }[]>(engine, {
      method: "GET",
      path: "/plugins/privileges",
      query: { remote },
      headers: { "X-Registry-Auth": Buffer.from("{}").toString("base64") },
    });
    return raw.map((p) => ({ name: p.Name, description: p.Description, value: p.Value }));
  } catch (err) {
    throw new VspError(
      `the engine cannot read plugin ${remote} from its registry: ${describe(err)}`,
      "check that the registry is reachable from the manager and that the plugin was pushed (vsp build --push)",
    );
  }
}
