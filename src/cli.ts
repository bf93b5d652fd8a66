// The vsp entry point: flags → commands, and the one place that maps errors to exit codes.
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { Argument, Command, CommanderError, Option } from "@commander-js/extra-typings";
import { DEFAULT_DOCKER_SOCKET, DEFAULT_NAME, DEFAULT_POLICY_PREFIX } from "../common/contract.js";
import { buildCommand } from "./commands/build.js";
import { checkCommand } from "./commands/check.js";
import { bashCompletion, zshCompletion } from "./commands/completion.js";
import { makeContext, type Seams } from "./commands/context.js";
import { deployCommand } from "./commands/deploy.js";
import { refreshCommand } from "./commands/refresh.js";
import { removeCommand } from "./commands/remove.js";
import { rotateCommand } from "./commands/rotate.js";
import { statusCommand } from "./commands/status.js";
import { engineAddress, engineUnreachable, isConnectError } from "./docker/engine.js";
import { describe, UsageError, VspError } from "./errors.js";
import { Output } from "./output.js";

/** The version in vsp's package.json (two levels above dist/src/). */
function packageVersion(): string {
  try {
    const file = fileURLToPath(new URL("../../package.json", import.meta.url));
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}

export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  seams: Seams = {},
): Promise<number> {
  let exitCode = 0;
  // Each action hands its typed options (inferred by extra-typings from the flags declared
  // below, and checked against the command's own flag type) to the command function.
  const contextOf = (cmd: { optsWithGlobals(): { json?: boolean; verbose?: boolean } }) =>
    makeContext(cmd.optsWithGlobals(), env, seams);
  const settle = async (code: Promise<number>) => {
    exitCode = await code;
  };

  const program = new Command("vsp")
    .description("Vault/OpenBao secrets for Docker Swarm tasks, through a secret-provider plugin")
    .version(packageVersion(), "-V, --version", "print vsp's version")
    .option("--verbose", "show engine output (build steps, pushes)")
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      "after",
      "\nEnvironment: VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT, DOCKER_HOST.\nTokens are read only from the environment, never from flags.",
    );

  const name = () => new Option("--name <name>", "deployment name").default(DEFAULT_NAME);
  const json = () => new Option("--json", "print the result as JSON on stdout");
  const baseImage = () =>
    new Option("--base-image <image>", "base image with node (Node.js ≥ 20) on its PATH").default(
      "node:20-alpine",
    );
  const dockerSocket = () =>
    new Option("--docker-socket <path>", "the managers' Docker socket path, mounted into the plugin").default(
      DEFAULT_DOCKER_SOCKET,
    );

  program
    .command("deploy")
    .description(
      "build and push the plugin, set Vault up, start the helper and the plugin (as a plugin service, or through an installer service)",
    )
    .option("--vault-addr <url>", "Vault address (default $VAULT_ADDR)")
    .option("--plugin-vault-addr <url>", "Vault address as the managers reach it (default: --vault-addr)")
    .option("--registry <host[:port]>", "registry the managers pull the plugin from (required)")
    .addOption(name())
    .option("--tag <tag>", "plugin tag (default: derived from the plugin's content)")
    .addOption(baseImage())
    .option(
      "--policy-prefix <prefix>",
      "prefix of service policies ('' = the proof of concept's naming)",
      DEFAULT_POLICY_PREFIX,
    )
    .option(
      "--task-policies <globs>",
      "comma-separated policies (globs) task tokens may carry; required with --policy-prefix '' (default <prefix>*)",
    )
    .option("--skip-build", "use a plugin already in the registry")
    .addOption(dockerSocket())
    .option("--task-max-ttl <duration>", "explicit max TTL of task tokens (token role)", "24h")
    .option(
      "--bootstrap-cidrs <cidrs>",
      "where the bootstrap token may be used from: auto (the managers' Swarm addresses), none, or CIDRs (default: unchanged; none at first)",
    )
    .addOption(
      new Option(
        "--mode <mode>",
        "service: a plugin service (needs experimental engines); installer: a global service installs the plugin on each manager; auto: keep the deployed mode, else service when every manager is experimental",
      )
        .choices(["auto", "service", "installer"] as const)
        .default("auto" as const),
    )
    .addOption(json())
    .addHelpText(
      "after",
      examples([
        "vsp deploy --registry registry.example:5000",
        "vsp deploy --registry 127.0.0.1:5000 --policy-prefix '' --task-policies 'app-*,web' --json",
      ]),
    )
    .action((opts, cmd) => settle(deployCommand(opts, contextOf(cmd))));

  program
    .command("build")
    .description("build the plugin (and its image) from plugin-src; optionally push both")
    .option("--registry <host[:port]>", "registry prefix of the plugin name")
    .addOption(name())
    .option("--tag <tag>", "plugin tag (default: derived from the plugin's content)")
    .addOption(baseImage())
    .addOption(dockerSocket())
    .option("--push", "push the plugin and its image")
    .addOption(json())
    .addHelpText("after", examples(["vsp build --registry 127.0.0.1:5000 --push"]))
    .action((opts, cmd) => settle(buildCommand(opts, contextOf(cmd))));

  const token = program.command("bootstrap-token").description("manage the plugin's bootstrap token");
  token
    .command("rotate")
    .description("mint a new bootstrap token, swap it on the helper, revoke the old one")
    .addOption(name())
    .option("--grace <duration>", "wait this long before revoking the old token", "30s")
    .addOption(json())
    .addHelpText(
      "after",
      examples(["vsp bootstrap-token rotate", "vsp bootstrap-token rotate --grace 5s --json"]),
    )
    .action((opts, cmd) => settle(rotateCommand(opts, contextOf(cmd))));

  program
    .command("refresh")
    .description(
      "roll services so each new task gets fresh vsp values (new secret versions, the service's update_config)",
    )
    .argument("[services...]", "service names")
    .option("--stack <name>", "every service of this stack that mounts a vsp secret")
    .option(
      "--secret <name>",
      "only this secret (name, first version's name or target; repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(name())
    .option("--timeout <duration>", "how long to wait for the rollouts", "10m")
    .addOption(json())
    .addHelpText(
      "after",
      examples([
        "vsp refresh shop_api",
        "vsp refresh --stack shop --secret api_key",
        "vsp refresh --stack shop --json",
      ]),
    )
    .action((services, opts, cmd) => settle(refreshCommand(opts, contextOf(cmd), services)));

  program
    .command("check")
    .description(
      "judge a stack's vsp secrets before it deploys: labels, policy, and what Vault lets the policy do",
    )
    .argument(
      "[stack]",
      "the stack name you give docker stack deploy (default: the file's name: or its base name)",
    )
    .requiredOption(
      "-c, --compose-file <file>",
      "compose file (repeat for several, merged as docker does)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(name())
    .option("--vault-addr <url>", "Vault address (default $VAULT_ADDR)")
    .option("--policy-prefix <prefix>", "the deployment's --policy-prefix", DEFAULT_POLICY_PREFIX)
    .option(
      "--task-policies <globs>",
      "the deployment's --task-policies (with --offline; otherwise read from Vault)",
    )
    .option("--offline", "check labels and names only; do not ask Vault")
    .addOption(json())
    .addHelpText(
      "after",
      examples([
        "vsp check -c compose/kv-pki.yml shop",
        "vsp check -c stack.yml -c prod.yml mystack --json | jq '.rows[] | select(.ok == false)'",
        "vsp check -c stack.yml --offline",
      ]),
    )
    .action((stack, opts, cmd) => settle(checkCommand(opts, contextOf(cmd), stack)));

  program
    .command("status")
    .description("plugin, helper, bootstrap token and Vault health; exit 1 when something is unhealthy")
    .addOption(name())
    .addOption(json())
    .addHelpText("after", examples(["vsp status", "vsp status --json | jq .problems"]))
    .action((opts, cmd) => settle(statusCommand(opts, contextOf(cmd))));

  program
    .command("remove")
    .description("remove what deploy made (user stacks' secrets stay)")
    .addOption(name())
    .option("--purge-vault", "also delete the policy and token role and revoke the bootstrap token")
    .addOption(json())
    .addHelpText("after", examples(["vsp remove", "vsp remove --purge-vault"]))
    .action((opts, cmd) => settle(removeCommand(opts, contextOf(cmd))));

  program
    .command("completion")
    .description("print a shell completion script")
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh"] as const))
    .addHelpText(
      "after",
      examples(["vsp completion bash > /etc/bash_completion.d/vsp", "source <(vsp completion zsh)"]),
    )
    .action((shell) => {
      process.stdout.write(shell === "bash" ? bashCompletion(program) : zshCompletion(program));
    });

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0)
        return 0;
      return 2;
    }
    const out = new Output({ json: false, verbose: false, env });
    if (err instanceof VspError) {
      out.error(err.message, err.hint);
      return err instanceof UsageError ? 2 : err.exitCode;
    }
    if (isConnectError(err)) {
      const e = engineUnreachable(engineAddress(env), err);
      out.error(e.message, e.hint);
      return 1;
    }
    out.error(describe(err));
    return 1;
  }
}
