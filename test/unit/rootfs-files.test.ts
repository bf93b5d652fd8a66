import assert from "node:assert/strict";
import { test } from "node:test";
import tarStream from "tar-stream";
import { findOnPath, type RootfsEntry, scanRootfs } from "../../src/docker/rootfs-files.js";

function fs(entries: Record<string, string>): Map<string, RootfsEntry> {
  const m = new Map<string, RootfsEntry>();
  for (const [name, what] of Object.entries(entries)) {
    if (what === "file" || what === "directory") m.set(name, { type: what });
    else m.set(name, { type: "symlink", linkname: what });
  }
  return m;
}

test("node is found on PATH in PATH order, through file and directory symlinks", () => {
  const debian = fs({
    "/usr": "directory",
    "/usr/bin": "directory",
    "/usr/bin/nodejs": "file",
    "/usr/bin/node": "nodejs",
    "/bin": "usr/bin",
  });
  assert.equal(findOnPath(debian, "/usr/local/bin:/usr/bin:/bin", "node"), "/usr/bin/node");
  assert.equal(findOnPath(debian, "/bin", "node"), "/bin/node");
  const distroless = fs({ "/nodejs": "directory", "/nodejs/bin": "directory", "/nodejs/bin/node": "file" });
  assert.equal(findOnPath(distroless, "/usr/bin:/nodejs/bin", "node"), "/nodejs/bin/node");
  const both = fs({
    "/usr": "directory",
    "/usr/local": "directory",
    "/usr/local/bin": "directory",
    "/usr/local/bin/node": "/opt/node/bin/node",
    "/opt": "directory",
    "/opt/node": "directory",
    "/opt/node/bin": "directory",
    "/opt/node/bin/node": "file",
    "/usr/bin": "directory",
    "/usr/bin/node": "file",
  });
  assert.equal(findOnPath(both, "/usr/local/bin:/usr/bin", "node"), "/usr/local/bin/node");
});

test("broken links, loops, directories and relative PATH entries do not count", () => {
  const odd = fs({
    "/a": "directory",
    "/a/node": "missing",
    "/b": "directory",
    "/b/node": "directory",
    "/c": "directory",
    "/c/node": "/c/node2",
    "/c/node2": "/c/node",
  });
  assert.equal(findOnPath(odd, "/a:/b:/c:relative", "node"), undefined);
  assert.equal(findOnPath(fs({}), "", "node"), undefined);
});

test("scanRootfs reads names, types and link targets from a tar", async () => {
  const pack = tarStream.pack();
  pack.entry({ name: "usr/", type: "directory" });
  pack.entry({ name: "usr/bin/", type: "directory" });
  pack.entry({ name: "usr/bin/nodejs", mode: 0o755 }, "#!fake");
  pack.entry({ name: "./usr/bin/node", type: "symlink", linkname: "nodejs" });
  pack.finalize();
  const entries = await scanRootfs(pack as unknown as NodeJS.ReadableStream);
  assert.deepEqual(entries.get("/usr/bin/node"), { type: "symlink", linkname: "nodejs" });
  assert.deepEqual(entries.get("/usr/bin/nodejs"), { type: "file" });
  assert.equal(findOnPath(entries, "/usr/bin", "node"), "/usr/bin/node");
});
