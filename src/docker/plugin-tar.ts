// Repacks an exported container filesystem into the layout /plugins/create expects:
// config.json + rootfs/…, streamed, without unpacking to disk.
import { PassThrough } from "node:stream";
import tarStream from "tar-stream";

export interface RepackResult {
  tar: NodeJS.ReadableStream;
  /** Resolves with the rootfs size in bytes once the stream has been consumed. */
  done: Promise<number>;
}

export function repackAsPlugin(exported: NodeJS.ReadableStream, configJson: string): RepackResult {
  const pack = tarStream.pack();
  const extract = tarStream.extract();
  let bytes = 0;
  const done = new Promise<number>((resolve, reject) => {
    pack.entry({ name: "config.json", mode: 0o644 }, configJson);
    extract.on("entry", (header, stream, next) => {
      const name = header.name.replace(/^\.?\/+/, "");
      bytes += header.size ?? 0;
      const out = pack.entry({ ...header, name: `rootfs/${name}` }, (err) => (err ? reject(err) : next()));
      stream.pipe(out);
    });
    extract.on("finish", () => {
      pack.finalize();
      resolve(bytes);
    });
    extract.on("error", reject);
    exported.on("error", reject);
  });
  exported.pipe(extract);
  const tar = new PassThrough();
  pack.pipe(tar);
  return { tar, done };
}
