// OpenBao 2.x refuses `PUT sys/audit/<path>` unless its config sets unsafe_allow_api_audit_creation.
// The ground starts a dev server without a config file, so before anything is stored in it (before
// `vsp deploy`) the bench restarts that dev server — same binary, port, root token and log — with a
// config holding only that flag. The audit device itself is enabled only during measurement 5.
import fs from "node:fs";
import path from "node:path";
import type { Ground } from "../test/ground/ground.js";
import { baoApi } from "../test/ground/openbao.js";
import { startDaemon, stopPid, waitFor } from "../test/ground/process.js";

export async function restartOpenBaoForApiAudit(ground: Ground): Promise<void> {
  const s = ground.state.bao;
  if (s.mode !== "dev") throw new Error("the bench expects the ground's OpenBao in dev mode");
  await stopPid(s.pid);
  const config = path.join(s.dir, "bench-audit.hcl");
  fs.writeFileSync(config, "unsafe_allow_api_audit_creation = true\n");
  const daemon = startDaemon(
    ground.state.binaries.bao,
    [
      "server",
      "-dev",
      `-dev-root-token-id=${s.rootToken}`,
      `-dev-listen-address=127.0.0.1:${s.port}`,
      "-dev-no-store-token",
      `-config=${config}`,
    ],
    path.join(s.dir, "openbao.log"),
    { ...process.env, HOME: s.dir },
  );
  s.pid = daemon.child.pid!;
  await waitFor(
    "OpenBao to answer after the restart",
    async () => {
      const r = await baoApi(s.addr, "GET", "auth/token/lookup-self", s.rootToken);
      return r.status === 200 || undefined;
    },
    30_000,
  );
  // The ground writes its state for other processes; keep the new pid there too.
  const stateFile = path.join(ground.state.root, "state.json");
  if (fs.existsSync(stateFile)) fs.writeFileSync(stateFile, JSON.stringify(ground.state, null, 2));
}
