import { buildPlugin } from "../services/build.js";
import type { Context } from "./context.js";

export interface BuildFlags {
  registry?: string;
  name: string;
  tag?: string;
  baseImage: string;
  dockerSocket: string;
  push?: boolean;
}

export async function buildCommand(flags: BuildFlags, ctx: Context): Promise<number> {
  const step = ctx.out.step("building the vsp plugin");
  const result = await buildPlugin(
    ctx.engine(),
    {
      name: flags.name,
      registry: flags.registry,
      tag: flags.tag,
      baseImage: flags.baseImage,
      dockerSocket: flags.dockerSocket,
      push: !!flags.push,
    },
    (line) => {
      ctx.out.detail(line);
      step.update(`building the vsp plugin: ${line.slice(0, 60)}`);
    },
  ).catch((err) => {
    step.fail();
    throw err;
  });
  step.succeed();
  ctx.out.result(
    result,
    `plugin ${result.pluginRef}${result.pushed ? " (pushed)" : ""}, image ${result.imageRef}`,
  );
  return 0;
}
