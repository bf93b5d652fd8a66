import { DEFAULT_DOCKER_SOCKET } from "../../common/contract.js";
import type { DeployMode } from "../../common/installer.js";
import { policyAllowed, taskPolicyGlobs, taskPolicyGlobsProblem } from "../../common/task-policies.js";
import { UsageError } from "../errors.js";
import { deploy } from "../services/deploy.js";
import { toSeconds } from "../services/vault-objects.js";
import type { Context } from "./context.js";

export interface DeployFlags {
  vaultAddr?: string;
  pluginVaultAddr?: string;
  registry?: string;
  name: string;
  tag?: string;
  baseImage: string;
  policyPrefix: string;
  taskPolicies?: string;
  skipBuild?: boolean;
  dockerSocket: string;
  taskMaxTtl: string;
  bootstrapCidrs?: string;
  mode: DeployMode | "auto";
  json?: boolean;
}

const CIDR = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/;

/** --bootstrap-cidrs: "auto" (the managers' addresses), "none", or a comma-separated CIDR list. */
export function parseBootstrapCidrs(raw: string | undefined): "auto" | string[] | undefined {
  if (raw === undefined) return undefined;
  if (raw === "auto") return "auto";
  if (raw === "none" || raw === "") return [];
  const list = raw
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean);
  const bad = list.find((c) => !CIDR.test(c));
  if (bad)
    throw new UsageError(
      `--bootstrap-cidrs: "${bad.slice(0, 60)}" is not a CIDR`,
      "use auto, none, or e.g. 10.0.0.0/24,10.0.1.5/32",
    );
  return list;
}

export async function deployCommand(flags: DeployFlags, ctx: Context): Promise<number> {
  if (!flags.registry)
    throw new UsageError(
      "--registry is required",
      "pass --registry HOST[:PORT] that every manager can pull from",
    );
  if (!(toSeconds(flags.taskMaxTtl) > 0))
    throw new UsageError(
      `--task-max-ttl "${flags.taskMaxTtl}" is not a duration`,
      "use e.g. 24h, 90m or 3600s",
    );
  const bootstrapCidrs = parseBootstrapCidrs(flags.bootstrapCidrs);
  const explicit = flags.taskPolicies
    ?.split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  const taskPolicies = [...taskPolicyGlobs(flags.policyPrefix, explicit)];
  const problem = taskPolicyGlobsProblem(taskPolicies);
  if (problem)
    throw new UsageError(
      problem,
      "with --policy-prefix '' any service name picks a policy: pass --task-policies with the policies (or globs) task tokens may carry, never '*'",
    );
  // deploy's own round-trip probe (a service <name>-probe, a token with no rights) must pass.
  const probePolicy = `${flags.policyPrefix}${flags.name}-probe`;
  if (!policyAllowed(probePolicy, taskPolicies, flags.name)) taskPolicies.push(probePolicy);
  const result = await deploy(
    ctx.engine(),
    ctx.vault(flags.vaultAddr),
    {
      name: flags.name,
      registry: flags.registry,
      tag: flags.tag,
      baseImage: flags.baseImage,
      policyPrefix: flags.policyPrefix,
      taskPolicies,
      skipBuild: !!flags.skipBuild,
      dockerSocket: flags.dockerSocket || DEFAULT_DOCKER_SOCKET,
      pluginVaultAddr: flags.pluginVaultAddr,
      engineAddress: ctx.engineAddress,
      vaultObjects: { taskMaxTtl: flags.taskMaxTtl },
      bootstrapCidrs,
      mode: flags.mode,
    },
    ctx.out,
  );
  const human =
    result.changed.length === 0
      ? `vsp "${result.name}" is deployed; nothing changed (plugin ${result.pluginRef}, ${result.mode} mode)`
      : `vsp "${result.name}" deployed (plugin ${result.pluginRef}, ${result.mode} mode); changed:\n${result.changed.map((c) => `  - ${c}`).join("\n")}`;
  ctx.out.result(result, human);
  return 0;
}
