// A Node base image built FROM scratch from the host's own node binary and its shared
// libraries, plus busybox for sh and cat: nothing can be pulled here.
import fs from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import tar from "tar-fs";
import { execFileP } from "./process.js";

export const BASE_IMAGE = "vsp-test/node-base:local";
const BUSYBOX_APPLETS = ["sh", "cat", "sleep", "ls", "env", "echo", "test", "true", "id", "wc", "grep"];

async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await execFileP("ldd", [binary]);
  const libs: string[] = [];
  for (const line of stdout.split("\n")) {
    const m = line.match(/=>\s+(\/\S+)/) ?? line.match(/^\s*(\/\S+)\s+\(/);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}

function copyInto(root: string, hostPath: string, target = hostPath): void {
  const dest = path.join(root, target);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(fs.realpathSync(hostPath), dest);
  fs.chmodSync(dest, 0o755);
}

export interface BaseImageOptions {
  tag: string;
  /** Where node goes in the image; null: an image without node. */
  nodeAt: string | null;
  pathVar: string;
}

const STANDARD: BaseImageOptions = {
  tag: BASE_IMAGE,
  nodeAt: "/usr/local/bin/node",
  pathVar: "/usr/local/bin:/bin",
};

export async function buildBaseImage(
  docker: Docker,
  busybox: string,
  workDir: string,
  o: BaseImageOptions = STANDARD,
): Promise<string> {
  const nodeBin = fs.realpathSync(process.execPath);
  const ctx = path.join(workDir, `base-image-${o.tag.replace(/[^a-z0-9]+/g, "-")}`);
  const root = path.join(ctx, "rootfs");
  fs.rmSync(ctx, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  if (o.nodeAt) {
    copyInto(root, nodeBin, o.nodeAt);
    for (const lib of await sharedLibraries(nodeBin)) copyInto(root, lib);
  }
  copyInto(root, busybox, "/bin/busybox");
  for (const applet of BUSYBOX_APPLETS) fs.symlinkSync("busybox", path.join(root, "bin", applet));
  fs.mkdirSync(path.join(root, "tmp"), { mode: 0o1777 });
  fs.mkdirSync(path.join(root, "etc"));
  fs.writeFileSync(
    path.join(root, "etc", "passwd"),
    "root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n",
  );
  fs.writeFileSync(path.join(root, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n");
  fs.writeFileSync(
    path.join(ctx, "Dockerfile"),
    `FROM scratch\nCOPY rootfs/ /\nENV PATH=${o.pathVar}\nCMD ["${o.nodeAt ?? "/bin/sh"}"]\n`,
  );
  const stream = await docker.buildImage(tar.pack(ctx) as unknown as NodeJS.ReadableStream, { t: o.tag });
  await followBuild(docker, stream);
  fs.rmSync(ctx, { recursive: true, force: true });
  return o.tag;
}

export function followBuild(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: { error?: string }[]) => {
        const failed = output?.find((o) => o.error);
        if (err || failed) reject(new Error(`image build failed: ${err?.message ?? failed?.error}`));
        else resolve();
      },
      () => undefined,
    );
  });
}
