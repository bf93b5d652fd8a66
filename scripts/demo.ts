// npm run demo: a private swarm + registry + OpenBao (the test ground), `vsp deploy` through the
// built CLI, the three example stacks of compose/, and what each task received (values redacted
// to a prefix). Tears everything down unless --keep.
import { startGround, stopGround } from "../test/ground/ground.js";
import { deployArgs, vsp } from "../test/helpers/cli.js";
import { deployExample, EXAMPLES, type ExampleStack, setUpExampleVault } from "../test/helpers/examples.js";
import { execIn, readSecretInTasks, waitRunning } from "../test/helpers/swarm.js";

const keep = process.argv.includes("--keep");
const say = (m: string) => process.stdout.write(`${m}\n`);
const redact = (v: string) => {
  const flat = v.replace(/\s+/g, " ").trim();
  return flat.length <= 8 ? `${flat.slice(0, 2)}…` : `${flat.slice(0, 8)}… (${v.length} bytes)`;
};

const SECRETS: Record<string, string[]> = {
  dream_app: ["vault_token"],
  wordpress_db: ["db_password", "db_root_password"],
  wordpress_wordpress: ["db_password"],
  shop_api: ["api_key", "api_config", "db.env", "tls.json"],
};

const ground = await startGround();
let failed = false;
try {
  say(
    `\n== test ground: private dockerd ${ground.dockerHost}, registry ${ground.registry}, OpenBao ${ground.vaultAddr}`,
  );
  say("\n== vsp deploy");
  const run = await vsp(ground, deployArgs(ground));
  process.stdout.write(run.stderr + run.stdout);
  if (run.code !== 0) throw new Error(`vsp deploy failed with exit ${run.code}`);
  say("\n== vsp deploy again (idempotent)");
  const again = await vsp(ground, deployArgs(ground));
  process.stdout.write(again.stdout);

  await setUpExampleVault(ground);
  for (const stack of Object.keys(EXAMPLES) as ExampleStack[]) {
    say(`\n== docker stack deploy -c compose/${EXAMPLES[stack].file} ${stack}`);
    await deployExample(ground, stack);
  }
  for (const [service, targets] of Object.entries(SECRETS)) {
    const replicas = service === "shop_api" ? 2 : 1;
    const tasks = await waitRunning(ground, service, replicas);
    for (const target of targets) {
      const values = await readSecretInTasks(ground, tasks, target);
      for (const [i, v] of values.entries()) {
        say(
          `  ${service} task ${tasks[i]!.taskId.slice(0, 8)}  /run/secrets/${target.padEnd(18)} ${redact(v)}`,
        );
      }
    }
  }
  const [dream] = await waitRunning(ground, "dream_app", 1);
  const config = await execIn(ground.docker, dream!.containerId!, ["cat", "/etc/app/config.yml"]);
  say("\n  dream_app /etc/app/config.yml (rendered by Swarm from the template):");
  for (const line of config.trim().split("\n"))
    say(`    ${line.replace(/(vault_token: )(\S{6})\S+/, "$1$2…")}`);
  say("\n== vsp status");
  const status = await vsp(ground, ["status"]);
  process.stdout.write(status.stdout);
  if (keep) {
    say(`\n--keep: the ground stays up. DOCKER_HOST=${ground.dockerHost} VAULT_ADDR=${ground.vaultAddr}`);
    say(
      `  state: ${ground.state.root}/state.json (stop it with: node dist/scripts/demo-stop.js ${ground.state.root}/state.json)`,
    );
  }
} catch (err) {
  failed = true;
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
} finally {
  if (!keep || failed) {
    const left = await stopGround(ground);
    say(`\n== ground torn down (${left.processes.length} processes, ${left.mounts.length} mounts left)`);
  }
}
process.exitCode = failed ? 1 : 0;
