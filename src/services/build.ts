// vsp build: plugin image from plugin-src (bundled), its rootfs + config.json → a managed plugin, pushed.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import tar from "tar-fs";
import { DEFAULT_DOCKER_SOCKET, pluginConfig } from "../../common/contract.js";
import type { Engine } from "../docker/engine.js";
import { buildImage, imageEnv, type Progress, pushImage, withExportedRootfs } from "../docker/images.js";
import { repackAsPlugin } from "../docker/plugin-tar.js";
import { createPluginFromTar, listPlugins, pushPlugin, removePlugin } from "../docker/plugins.js";
import { DEFAULT_PATH, findOnPath, scanRootfs } from "../docker/rootfs-files.js";
import { VspError } from "../errors.js";
import { pluginImageContext } from "./paths.js";

export interface BuildOptions {
  name: string;
  registry?: string;
  tag?: string;
  baseImage: string;
  dockerSocket?: string;
  push: boolean;
}

export interface BuildResult {
  pluginRef: string;
  imageRef: string;
  tag: string;
  pushed: boolean;
  rootfsBytes: number;
}

export function refs(
  name: string,
  registry: string | undefined,
  tag: string,
): { pluginRef: string; imageRef: string } {
  const prefix = registry ? `${registry.replace(/\/$/, "")}/` : "";
  return { pluginRef: `${prefix}${name}:${tag}`, imageRef: `${prefix}${name}-image:${tag}` };
}

/** Where `node` is on the image's PATH; fails, before anything is pushed, when it is not there. */
async function locateNode(engine: Engine, imageRef: string, baseImage: string): Promise<string> {
  const pathVar =
    (await imageEnv(engine, imageRef)).find((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
  const entries = await withExportedRootfs(engine, imageRef, scanRootfs);
  const found = findOnPath(entries, pathVar, "node");
  if (!found) {
    throw new VspError(
      `the base image ${baseImage} has no node on its PATH (${pathVar})`,
      "pass --base-image with an image that has Node.js 20 or later on its PATH (e.g. node:20-alpine)",
    );
  }
  return found;
}

/** A tag derived from what goes into the plugin, so the same inputs give the same tag. */
export function contentTag(baseImage: string, dockerSocket: string): string {
  const ctx = pluginImageContext();
  const h = createHash("sha256");
  for (const f of ["plugin.cjs", "helper.cjs", "installer.cjs", "Dockerfile"])
    h.update(fs.readFileSync(path.join(ctx, f)));
  h.update(JSON.stringify(pluginConfig({ dockerSocket })));
  h.update(baseImage);
  return `c-${h.digest("hex").slice(0, 12)}`;
}

export async function buildPlugin(engine: Engine, o: BuildOptions, progress: Progress): Promise<BuildResult> {
  const dockerSocket = o.dockerSocket ?? DEFAULT_DOCKER_SOCKET;
  const tag = o.tag ?? contentTag(o.baseImage, dockerSocket);
  const { pluginRef, imageRef } = refs(o.name, o.registry, tag);
  const context = pluginImageContext();

  progress(`building image ${imageRef} from ${o.baseImage}`);
  await buildImage(
    engine,
    tar.pack(context) as unknown as NodeJS.ReadableStream,
    imageRef,
    { BASE_IMAGE: o.baseImage },
    progress,
  );

  if ((await listPlugins(engine)).some((p) => p.Name === pluginRef || p.Name === `${pluginRef}:latest`)) {
    await removePlugin(engine, pluginRef);
  }
  const nodePath = await locateNode(engine, imageRef, o.baseImage);
  progress(`node is at ${nodePath} in ${o.baseImage}`);
  const config = JSON.stringify(pluginConfig({ dockerSocket, nodePath }), null, 2);
  const rootfsBytes = await withExportedRootfs(engine, imageRef, async (exported) => {
    const repacked = repackAsPlugin(exported, config);
    progress(`creating plugin ${pluginRef}`);
    const [bytes] = await Promise.all([repacked.done, createPluginFromTar(engine, pluginRef, repacked.tar)]);
    return bytes;
  });
  progress(`plugin ${pluginRef} created (rootfs ${(rootfsBytes / 1e6).toFixed(1)} MB)`);

  if (o.push) {
    progress(`pushing ${pluginRef} and ${imageRef}`);
    await pushPlugin(engine, pluginRef, progress);
    await pushImage(engine, imageRef, progress);
    // The plugin service installs its own copy under the deployment name; the build copy is not needed.
    await removePlugin(engine, pluginRef);
  }
  return { pluginRef, imageRef, tag, pushed: o.push, rootfsBytes };
}
