// Every command that cannot reach the engine, or Vault, says so in the same words with the same
// hint (child processes against a socket path that does not exist and a closed loopback port).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, "bin", "vsp"), ...args],
      { env: { PATH: process.env.PATH, NO_COLOR: "1", ...env }, timeout: 30_000 },
      (err, _stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

test("no engine: status, remove, rotate and deploy give one message and one hint", async () => {
  const env = {
    DOCKER_HOST: "unix:///nonexistent/vsp-test.sock",
    VAULT_ADDR: "http://127.0.0.1:1",
    VAULT_TOKEN: "not-a-token",
  };
  const runs = await Promise.all(
    [["status"], ["remove"], ["bootstrap-token", "rotate"], ["deploy", "--registry", "127.0.0.1:1"]].map(
      (a) => run(a, env),
    ),
  );
  for (const r of runs) {
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr
      .split("\n")
      .filter((l) => l.startsWith("vsp: error:") || l.includes("what to do:"));
    assert.deepEqual(lines, [
      "vsp: error: cannot reach the Docker engine at unix:///nonexistent/vsp-test.sock: connect ENOENT /nonexistent/vsp-test.sock",
      "  what to do: start Docker, or point DOCKER_HOST at a swarm manager",
    ]);
  }
});

test("no Vault: the message names the address and the hint says what to check", async () => {
  const r = await run(["check", "-c", path.join(root, "compose", "dream.yml")], {
    VAULT_ADDR: "http://127.0.0.1:1",
    VAULT_TOKEN: "not-a-token",
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot reach http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/);
  assert.match(r.stderr, /what to do: check VAULT_ADDR \(or --vault-addr\)/);
  assert.doesNotMatch(r.stderr, /not-a-token/);
});
