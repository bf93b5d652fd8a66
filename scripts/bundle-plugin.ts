// Bundles the plugin and the helper into single files (plugin-src/dist/) for the plugin image.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const outdir = path.join(root, "dist", "plugin-image");
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
copyFileSync(path.join(root, "plugin-src", "Dockerfile"), path.join(outdir, "Dockerfile"));

for (const [entry, out] of [
  ["plugin-src/main.ts", "plugin.cjs"],
  ["plugin-src/helper.ts", "helper.cjs"],
  ["plugin-src/installer/main.ts", "installer.cjs"],
] as const) {
  await build({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(outdir, out),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: process.env.VSP_BUNDLE_MINIFY !== "0",
    legalComments: "none",
    // ssh2 (the ssh transport) and gRPC/protobuf (BuildKit sessions) are reached only from
    // dockerode functions the plugin never calls: stub them out.
    plugins: [
      {
        name: "stub-unused",
        setup(b) {
          b.onResolve(
            { filter: /^(ssh2|cpu-features|@grpc\/grpc-js|@grpc\/proto-loader|protobufjs)(\/.*)?$/ },
            (args) => ({
              path: args.path,
              namespace: "stub",
            }),
          );
          b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({ contents: "module.exports = {};" }));
        },
      },
    ],
    logLevel: "warning",
  });
}
