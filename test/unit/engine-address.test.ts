// DOCKER_HOST read as the docker CLI reads it (no connection is made here).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { connectEngine, dockerApi } from "../../src/docker/engine.js";

type ModemView = {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: string;
  username?: string;
  sshOptions?: { agent?: string };
  ca?: Buffer;
};
const modem = (env: NodeJS.ProcessEnv) => dockerApi(connectEngine(env)).modem as unknown as ModemView;

test("unix, tcp, https and ssh hosts", () => {
  assert.equal(modem({}).socketPath, "/var/run/docker.sock");
  assert.equal(modem({ DOCKER_HOST: "unix:///run/x.sock" }).socketPath, "/run/x.sock");
  const tcp = modem({ DOCKER_HOST: "tcp://10.0.0.5:2375" });
  assert.deepEqual([tcp.host, tcp.port, tcp.protocol], ["10.0.0.5", 2375, "http"]);
  const verify = modem({ DOCKER_HOST: "tcp://10.0.0.5", DOCKER_TLS_VERIFY: "1" });
  assert.deepEqual([verify.port, verify.protocol], [2376, "https"]);
  assert.equal(modem({ DOCKER_HOST: "tcp://10.0.0.5:2376" }).protocol, "https");
  const ssh = modem({ DOCKER_HOST: "ssh://ops@manager-1:2222", SSH_AUTH_SOCK: "/tmp/agent.sock" });
  assert.deepEqual(
    [ssh.protocol, ssh.host, ssh.port, ssh.username, ssh.sshOptions?.agent],
    ["ssh", "manager-1", 2222, "ops", "/tmp/agent.sock"],
  );
  assert.equal(modem({ DOCKER_HOST: "ssh://manager-1" }).port, 22);
  assert.throws(
    () => connectEngine({ DOCKER_HOST: "ftp://x" }),
    /is not unix:\/\/PATH, tcp:\/\/HOST:PORT or ssh:\/\/USER@HOST/,
  );
});

test("client certificates come from DOCKER_CERT_PATH; a missing one is a usage error", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vsp-certs-"));
  try {
    for (const f of ["ca.pem", "cert.pem", "key.pem"]) fs.writeFileSync(path.join(dir, f), `fake ${f}`);
    const m = modem({ DOCKER_HOST: "tcp://10.0.0.5", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: dir });
    assert.equal(String(m.ca), "fake ca.pem");
    fs.rmSync(path.join(dir, "key.pem"));
    assert.throws(
      () => connectEngine({ DOCKER_HOST: "tcp://10.0.0.5", DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: dir }),
      /DOCKER_CERT_PATH=.*ENOENT/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
