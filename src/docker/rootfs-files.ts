// What an exported container filesystem holds, enough to find a program on a PATH without
// running anything in the image (a plugin gets no image PATH: its entrypoint must be absolute).
import path from "node:path";
import tarStream from "tar-stream";

export interface RootfsEntry {
  type: "file" | "directory" | "symlink" | "other";
  linkname?: string;
}

/** Names (absolute, normalised) → entry type of every entry in an exported rootfs tar. */
export function scanRootfs(exported: NodeJS.ReadableStream): Promise<Map<string, RootfsEntry>> {
  const entries = new Map<string, RootfsEntry>();
  const extract = tarStream.extract();
  return new Promise((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      const name = path.posix.normalize(`/${header.name}`).replace(/\/$/, "") || "/";
      const type =
        header.type === "file" || header.type === "contiguous-file"
          ? "file"
          : header.type === "directory" || header.type === "symlink"
            ? header.type
            : "other";
      entries.set(name, type === "symlink" ? { type, linkname: header.linkname ?? "" } : { type });
      stream.on("end", next);
      stream.resume();
    });
    extract.on("finish", () => resolve(entries));
    extract.on("error", reject);
    exported.on("error", reject);
    exported.pipe(extract);
  });
}

/** Resolves symlinks (in any component) inside the rootfs; undefined when the chain breaks. */
function resolveIn(entries: Map<string, RootfsEntry>, target: string): RootfsEntry | undefined {
  let current = path.posix.normalize(target);
  for (let hops = 0; hops < 40; hops++) {
    const parts = current.split("/").filter(Boolean);
    let prefix = "";
    let redirected = false;
    for (let i = 0; i < parts.length; i++) {
      prefix = `${prefix}/${parts[i]}`;
      const e = entries.get(prefix);
      if (!e) return undefined;
      if (e.type === "symlink") {
        const link = e.linkname ?? "";
        const base = link.startsWith("/") ? link : path.posix.join(path.posix.dirname(prefix), link);
        current = path.posix.normalize([base, ...parts.slice(i + 1)].join("/"));
        redirected = true;
        break;
      }
      if (i === parts.length - 1) return e;
    }
    if (!redirected) return undefined;
  }
  return undefined;
}

/** The first `<dir>/<program>` on PATH that is (or links to) a file, as the shell would pick it. */
export function findOnPath(
  entries: Map<string, RootfsEntry>,
  pathVar: string,
  program: string,
): string | undefined {
  for (const dir of pathVar.split(":")) {
    if (!dir.startsWith("/")) continue;
    const candidate = path.posix.join(dir, program);
    if (resolveIn(entries, candidate)?.type === "file") return candidate;
  }
  return undefined;
}

/** Docker's PATH for an image that sets none. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
