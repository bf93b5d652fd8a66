// The installer (installer mode): one task per manager, holding the node's Docker socket. Every
// interval it brings the node's plugin to what its service's env asks for, and reports per node.

import { PLUGIN_DOCKER_SOCKET } from "../../common/contract.js";
import type { InstallReport } from "../../common/installer.js";
import { JitteredLoop } from "../jittered-loop.js";
import { jsonLogger } from "../log.js";
import { EngineApi } from "./engine-api.js";
import { EnginePlugins } from "./node-plugins.js";
import { reconcile } from "./reconcile.js";
import { ReportStore } from "./reports.js";
import { installerSettings } from "./settings.js";

async function main(): Promise<void> {
  const log = jsonLogger();
  const desired = installerSettings(process.env);
  const api = new EngineApi(PLUGIN_DOCKER_SOCKET);
  const plugins = new EnginePlugins(api);
  const reports = new ReportStore(api, desired.name);
  const me = await reports.identity();
  let last = "";
  const pass = async () => {
    const result = await reconcile(plugins, desired);
    if (result.steps.length || result.error)
      log({
        level: result.error ? "warn" : "info",
        msg: "installer pass",
        node: me.hostname,
        steps: result.steps,
        state: result.state,
        ...(result.error ? { error: result.error } : {}),
      });
    const report: InstallReport = {
      ...me,
      remote: desired.remote,
      generation: desired.generation,
      state: result.state,
      ...(result.error ? { error: result.error } : {}),
      at: new Date().toISOString(),
    };
    const key = `${report.state} ${report.generation} ${report.error ?? ""}`;
    if (key !== last) {
      await reports.save(report);
      last = key;
    }
  };
  log({ msg: "installer started", node: me.hostname, remote: desired.remote, action: desired.action });
  await pass().catch((err: Error) =>
    log({ level: "warn", msg: "installer pass failed", error: err.message }),
  );
  const loop = new JitteredLoop(desired.intervalMs, pass, log, "installer pass failed");
  loop.start();
  // The loop's timer is unref'd: this keeps the process (and so the task) alive until stopped.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const stop = () => {
    loop.stop();
    clearInterval(keepAlive);
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

process.on("uncaughtException", (err) => {
  process.stderr.write(`installer: ${err.message}\n`);
  process.exit(1);
});
main().catch((err: Error) => {
  process.stderr.write(`installer: ${err.message}\n`);
  process.exit(2);
});
