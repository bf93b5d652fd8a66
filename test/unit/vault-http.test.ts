// The plugin's Vault client against a local server that misbehaves on purpose: which failures
// it retries (a refused connection, a kept-alive socket closed under it) and which it must not
// (a write that may have reached Vault).
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { VaultHttpClient } from "../../plugin-src/vault-http.js";

let server: http.Server;
let address = "";
/** What the server does with the n-th request on a socket (1-based): answer or reset. */
let onRequest: (nthOnSocket: number, req: http.IncomingMessage) => "answer" | "reset" = () => "answer";
let received = 0;

before(async () => {
  server = http.createServer((req, res) => {
    received++;
    const socket = req.socket as typeof req.socket & { seen?: number };
    socket.seen = (socket.seen ?? 0) + 1;
    req.resume();
    req.on("end", () => {
      if (onRequest(socket.seen!, req) === "reset") {
        socket.destroy();
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end('{"data":{"ok":true}}');
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function client(): VaultHttpClient {
  return new VaultHttpClient({ address, timeoutMs: 2000, retries: 2 });
}

test("a write on a kept-alive socket that is reset before any answer is retried on a new one", async () => {
  const vault = client();
  try {
    onRequest = () => "answer";
    await vault.call({ method: "GET", path: "sys/health" });
    received = 0;
    onRequest = (n) => (n === 2 ? "reset" : "answer");
    const res = await vault.call({ method: "POST", path: "auth/token/create/x", body: {} });
    assert.deepEqual(res.data, { ok: true });
    assert.equal(received, 2);
  } finally {
    vault.close();
  }
});

test("a write reset on a fresh socket is not retried: it may have reached Vault", async () => {
  const vault = client();
  try {
    received = 0;
    onRequest = () => "reset";
    await assert.rejects(
      vault.call({ method: "POST", path: "auth/token/create/x", body: {} }),
      /unreachable/,
    );
    assert.equal(received, 1);
  } finally {
    vault.close();
  }
});

test("a read reset is retried up to the limit", async () => {
  const vault = client();
  try {
    received = 0;
    onRequest = () => "reset";
    await assert.rejects(vault.call({ method: "GET", path: "secret/data/x" }), /unreachable/);
    assert.equal(received, 3);
  } finally {
    vault.close();
  }
});
