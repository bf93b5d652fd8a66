// Images: build from a tar context, push, export a container's filesystem.
import { describe, VspError } from "../errors.js";
import { dockerApi, type Engine } from "./engine.js";

export type Progress = (line: string) => void;

/** Follows an engine JSON stream; fails with the engine's own message when a step fails. */
export function followStream(
  engine: Engine,
  stream: NodeJS.ReadableStream,
  what: string,
  progress: Progress,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    dockerApi(engine).modem.followProgress(
      stream,
      (err: Error | null) => {
        if (err || failure) reject(new VspError(`${what} failed: ${failure ?? describe(err)}`));
        else resolve();
      },
      (event: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => {
        if (event.error) failure = event.errorDetail?.message ?? event.error;
        const text = (event.stream ?? event.status ?? "").trim();
        if (text) progress(text);
      },
    );
  });
}

export async function buildImage(
  engine: Engine,
  context: NodeJS.ReadableStream,
  tag: string,
  buildArgs: Record<string, string>,
  progress: Progress,
): Promise<void> {
  const stream = await dockerApi(engine).buildImage(context, {
    t: tag,
    buildargs: buildArgs,
    rm: true,
    forcerm: true,
  });
  await followStream(engine, stream, `building image ${tag}`, progress);
}

export async function pushImage(engine: Engine, tag: string, progress: Progress): Promise<void> {
  const stream = (await dockerApi(engine).getImage(tag).push({ authconfig: {} })) as unknown;
  await followStream(engine, stream as NodeJS.ReadableStream, `pushing image ${tag}`, progress);
}

export async function imageSize(engine: Engine, tag: string): Promise<number> {
  const info = await dockerApi(engine).getImage(tag).inspect();
  return info.Size;
}

/** The environment an image sets (PATH among it). */
export async function imageEnv(engine: Engine, tag: string): Promise<string[]> {
  const info = await dockerApi(engine).getImage(tag).inspect();
  return info.Config?.Env ?? [];
}

/** The filesystem of an image as a tar stream (through a created, never started, container). */
export async function withExportedRootfs<T>(
  engine: Engine,
  image: string,
  use: (tar: NodeJS.ReadableStream) => Promise<T>,
): Promise<T> {
  const container = await dockerApi(engine).createContainer({
    Image: image,
    Cmd: ["/bin/true"],
    Labels: { "com.vsp.role": "rootfs-export" },
  });
  try {
    const tar = await container.export();
    return await use(tar);
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
