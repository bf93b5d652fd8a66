// Plugin entry point: wires settings, Vault client, bootstrap, provider and the socket server.

import Docker from "dockerode";
import { tokenRoleName } from "../common/contract.js";
import { dockerRolloutSwarm } from "../common/rollout-docker.js";
import { FailureBoard } from "./failure-board.js";
import { createGetSecretHandler } from "./handler.js";
import { HelperReader } from "./helper-reader.js";
import { LeadershipWatch } from "./issuance/leadership.js";
import { IssuanceLedger } from "./issuance/ledger.js";
import { Reaper } from "./issuance/reaper.js";
import { SwarmClusterView, SwarmIssuanceStore } from "./issuance/swarm-store.js";
import { jsonLogger } from "./log.js";
import { SecretProvider } from "./provider.js";
import { Refresher } from "./refresh/refresher.js";
import { SwarmRefreshStateStore } from "./refresh/state-store.js";
import { DockerRefreshSwarm } from "./refresh/swarm-view.js";
import { VaultRevoker } from "./revoker.js";
import { RoleLimits } from "./role-limits.js";
import { createPluginServer, listenUnix } from "./server.js";
import { readSettings } from "./settings.js";
import { TokenKeeper } from "./token-keeper.js";
import { VaultHttpClient } from "./vault-http.js";

async function main(): Promise<void> {
  const log = jsonLogger();
  const settings = readSettings();
  const vault = new VaultHttpClient({
    address: settings.vaultAddr,
    namespace: settings.vaultNamespace,
    caCertPem: settings.vaultCaCertPem,
    timeoutMs: settings.vaultTimeoutMs,
    retries: settings.vaultRetries,
  });
  const docker = new Docker({ socketPath: settings.dockerSocket, timeout: 10_000 });
  const helper = new HelperReader(settings.name, docker, settings.dockerSocket, () => {
    // Exiting makes the engine start the plugin again, with its mounts in place.
    log({
      level: "fatal",
      msg: "the Docker socket is gone from the plugin; exiting so the engine restarts it",
    });
    setImmediate(() => process.exit(1));
  });
  const socketWatch = helper.watchSocket();
  const tokens = new TokenKeeper(vault, helper, log);
  const failures = new FailureBoard(docker, settings.name, () => helper.localNodeId(), log);
  const revoker = new VaultRevoker(vault, tokens);
  const roleLimits = new RoleLimits(vault, tokens, settings.tokenRole || tokenRoleName(settings.name), log);
  const records = new SwarmIssuanceStore(docker, settings.name);
  const cluster = new SwarmClusterView(docker, () => helper.localNodeId());
  const ledger = new IssuanceLedger(records, log);
  const leadership = new LeadershipWatch(cluster, (leading, at) => ledger.leading(leading, at), log);
  // The reaper and the refresher act on the watch's answer instead of asking the engine again.
  const leaderView = {
    isLeader: async () => leadership.isLeading(),
    tasksOf: (ids: string[]) => cluster.tasksOf(ids),
  };
  const reaper = new Reaper(records, leaderView, revoker, log, {
    role: settings.tokenRole || tokenRoleName(settings.name),
    intervalMs: settings.reapIntervalMs,
    onListed: (live, at) => ledger.listed(live, at),
  });
  const provider = new SecretProvider(
    vault,
    tokens,
    revoker,
    ledger,
    {
      name: settings.name,
      tokenRole: settings.tokenRole,
      policyPrefix: settings.policyPrefix,
      taskPolicies: settings.taskPolicies,
      taskMaxTtlSeconds: () => roleLimits.maxTtlSeconds(),
    },
    log,
  );
  const refresher = new Refresher(
    leaderView,
    new DockerRefreshSwarm(docker, settings.name),
    dockerRolloutSwarm(docker),
    new SwarmRefreshStateStore(docker, settings.name),
    () => records.live(),
    (req) => provider.kvVersion(req),
    log,
    {
      deployment: settings.name,
      intervalMs: settings.refreshIntervalMs,
      maxRolling: settings.refreshMaxRolling,
    },
  );
  const handler = createGetSecretHandler(provider, log, {
    repeatTtlMs: settings.repeatTtlMs,
    deadlineMs: settings.requestDeadlineMs,
    logSuccess: settings.logLevel === "info",
    onFailure: (service, message) => failures.record(service, message),
  });
  const server = createPluginServer(handler, (reason) =>
    log({ level: "error", msg: "GetSecret", outcome: "bad-request", error: reason }),
  );
  await listenUnix(server, settings.socketPath);
  leadership.start();
  roleLimits.start();
  reaper.start();
  refresher.start();
  log({
    msg: "vsp plugin listening",
    socket: settings.socketPath,
    vault: vault.address,
    name: settings.name,
  });
  // Load the bootstrap token early so a missing helper shows in the log before the first request.
  tokens
    .current()
    .catch((err: Error) => log({ level: "warn", msg: "bootstrap token not loaded yet", error: err.message }));

  const stop = () => {
    clearInterval(socketWatch);
    tokens.stop();
    failures.stop();
    reaper.stop();
    refresher.stop();
    leadership.stop();
    roleLimits.stop();
    ledger.stop();
    server.close();
    vault.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

// After an uncaught exception the process state is unknown: exit, and the engine starts the
// plugin again (values and tokens live only in this process, so nothing is lost but memory).
process.on("uncaughtException", (err) => {
  process.stdout.write(
    `${JSON.stringify({ level: "fatal", msg: "uncaught exception; exiting so the engine restarts the plugin", error: String(err?.message).slice(0, 200) })}\n`,
  );
  process.exit(1);
});
process.on("unhandledRejection", (err) => {
  process.stdout.write(
    `${JSON.stringify({ level: "error", msg: "unhandled rejection", error: String((err as Error)?.message) })}\n`,
  );
});

main().catch((err: Error) => {
  process.stdout.write(
    `${JSON.stringify({ level: "fatal", msg: "plugin failed to start", error: err.message })}\n`,
  );
  process.exit(1);
});
