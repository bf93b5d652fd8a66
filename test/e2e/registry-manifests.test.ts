// The registry look-up behind deploy's "nothing changed" accepts every manifest kind an engine
// may push: Docker v2 (Engine 20.10) and OCI image manifests and indexes (the containerd image
// store, default from Engine 29). Manifests are written straight to the ground's registry.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, test } from "node:test";
import { MANIFEST_TYPES, registryHasTag } from "../../src/services/preflight.js";
import { type Ground, useGround } from "../ground/ground.js";

let ground: Ground;
let base: string;

before(async () => {
  ground = await useGround();
  base = `http://${ground.registry}`;
});

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

async function putBlob(repo: string, body: Buffer): Promise<string> {
  const digest = sha(body);
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  assert.equal(start.status, 202);
  const location = new URL(start.headers.get("location")!, base);
  location.searchParams.set("digest", digest);
  const put = await fetch(location, {
    method: "PUT",
    body: new Uint8Array(body),
    headers: { "Content-Type": "application/octet-stream" },
  });
  assert.equal(put.status, 201, await put.text());
  return digest;
}

async function putManifest(repo: string, ref: string, mediaType: string, manifest: unknown): Promise<Buffer> {
  const body = Buffer.from(JSON.stringify(manifest));
  const res = await fetch(`${base}/v2/${repo}/manifests/${ref}`, {
    method: "PUT",
    body: new Uint8Array(body),
    headers: { "Content-Type": mediaType },
  });
  assert.equal(res.status, 201, await res.text());
  return body;
}

test("an OCI image manifest and an OCI index are found by tag, as a Docker v2 manifest is", async () => {
  const repo = "vsp-test/oci";
  const config = Buffer.from(
    JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }),
  );
  const configDigest = await putBlob(repo, config);
  const image = {
    schemaVersion: 2,
    mediaType: MANIFEST_TYPES[2],
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: configDigest,
      size: config.length,
    },
    layers: [],
  };
  const imageBody = await putManifest(repo, "image", MANIFEST_TYPES[2]!, image);
  await putManifest(repo, "index", MANIFEST_TYPES[3]!, {
    schemaVersion: 2,
    mediaType: MANIFEST_TYPES[3],
    manifests: [
      {
        mediaType: MANIFEST_TYPES[2],
        digest: sha(imageBody),
        size: imageBody.length,
        platform: { architecture: "amd64", os: "linux" },
      },
    ],
  });
  assert.equal(await registryHasTag(base, repo, "image"), true);
  assert.equal(await registryHasTag(base, repo, "index"), true);
  assert.equal(await registryHasTag(base, repo, "absent"), false);
});
