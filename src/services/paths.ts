// Where the built plugin files live relative to the installed CLI.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { VspError } from "../errors.js";

/** The project root (this file is dist/src/services/paths.js once built). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export function pluginImageContext(): string {
  const dir = path.join(projectRoot, "dist", "plugin-image");
  for (const f of ["plugin.cjs", "helper.cjs", "Dockerfile"]) {
    if (!fs.existsSync(path.join(dir, f))) {
      throw new VspError(`the plugin bundle is missing (${path.join(dir, f)})`, "run npm run build first");
    }
  }
  return dir;
}
