// Vault over TLS: `vsp deploy` with VAULT_CACERT hands the CA to the plugin, and both the CLI and
// the plugin verify OpenBao's certificate; without the CA the CLI refuses with a clear error.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { type VaultCall, VaultHttpClient } from "../../plugin-src/vault-http.js";
import { type Ground, useGround } from "../ground/ground.js";
import { freePort, startDaemon, stopPid, waitFor } from "../ground/process.js";
import { deployArgs, vsp } from "../helpers/cli.js";
import { decoded, getSecret, pluginSocket } from "../helpers/plugin.js";

let ground: Ground;
let pid: number | undefined;
let env: NodeJS.ProcessEnv;
const NAME = "vt";
const value = `tls-${randomBytes(8).toString("hex")}`;

/** Set-up calls through the plugin's own Vault client, trusting the server's CA explicitly. */
async function tlsApi(method: VaultCall["method"], apiPath: string, body?: unknown): Promise<void> {
  const client = new VaultHttpClient({
    address: env.VAULT_ADDR!,
    caCertPem: fs.readFileSync(env.VAULT_CACERT!, "utf8"),
    timeoutMs: 30_000,
    retries: 0,
  });
  try {
    await client.call({
      method,
      path: apiPath,
      token: env.VAULT_TOKEN!,
      ...(body === undefined ? {} : { body }),
    });
  } finally {
    client.close();
  }
}

before(async () => {
  ground = await useGround();
  const dir = ground.tempDir("tls-bao");
  const port = await freePort();
  const token = `root-${randomBytes(8).toString("hex")}`;
  pid = startDaemon(
    ground.state.binaries.bao,
    [
      "server",
      "-dev-tls",
      `-dev-tls-cert-dir=${dir}`,
      `-dev-root-token-id=${token}`,
      `-dev-listen-address=127.0.0.1:${port}`,
      "-dev-no-store-token",
    ],
    path.join(dir, "openbao.log"),
    { ...process.env, HOME: dir },
  ).child.pid;
  env = {
    VAULT_ADDR: `https://127.0.0.1:${port}`,
    VAULT_TOKEN: token,
    VAULT_CACERT: path.join(dir, "vault-ca.pem"),
  };
  await waitFor(
    "OpenBao with TLS",
    async () => (fs.existsSync(env.VAULT_CACERT!) ? tlsApi("GET", "sys/health").then(() => true) : undefined),
    30_000,
  );
  await tlsApi("POST", "secret/data/tls/app", { data: { password: value } });
  await tlsApi("PUT", "sys/policies/acl/swarm-tls_app", {
    policy: 'path "secret/data/tls/*" { capabilities = ["read"] }',
  });
});
after(async () => {
  if (ground && env) await vsp(ground, ["remove", "--name", NAME, "--purge-vault"], env);
  await stopPid(pid);
});

test("without the CA the CLI refuses Vault's certificate, and says so", async () => {
  const run = await vsp(ground, deployArgs(ground, ["--name", NAME]), { ...env, VAULT_CACERT: "" });
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    /Vault at https:\/\/127\.0\.0\.1:\d+ cannot be verified: .*TLS certificate .* is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
  );
  assert.match(run.stderr, /what to do: set VAULT_CACERT/);
});

test("with VAULT_CACERT the CLI deploys and the plugin reads over verified TLS", async () => {
  const run = await vsp(ground, deployArgs(ground, ["--name", NAME]), env);
  assert.equal(run.code, 0, run.stderr);
  const socket = await pluginSocket(ground, NAME);
  const answer = await getSecret(socket, {
    SecretName: "tls_db",
    ServiceName: "tls_app",
    TaskID: `tls-${Date.now()}`,
    SecretLabels: { "vsp.path": "secret/tls/app", "vsp.field": "password" },
  });
  assert.equal(decoded(answer), value, String(answer.body.Err));
});
