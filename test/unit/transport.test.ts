// Warnings for credentials that would cross a network in clear.
import assert from "node:assert/strict";
import { test } from "node:test";
import { plainHttp, plainTcp } from "../../src/commands/context.js";

test("plain http to Vault is warned about unless it stays on loopback", () => {
  assert.match(plainHttp("http://vault.example:8200") ?? "", /plain http/);
  assert.match(plainHttp("http://10.0.0.5:8200") ?? "", /plain http/);
  assert.equal(plainHttp("https://vault.example:8200"), undefined);
  assert.equal(plainHttp("http://127.0.0.1:8200"), undefined);
  assert.equal(plainHttp("http://localhost:8200"), undefined);
  assert.equal(plainHttp(""), undefined);
});

test("tcp:// Docker hosts without TLS are warned about", () => {
  assert.match(plainTcp({ DOCKER_HOST: "tcp://manager1:2375" }) ?? "", /without TLS/);
  assert.equal(plainTcp({ DOCKER_HOST: "tcp://manager1:2376", DOCKER_TLS_VERIFY: "1" }), undefined);
  assert.equal(plainTcp({ DOCKER_HOST: "tcp://127.0.0.1:2375" }), undefined);
  assert.equal(plainTcp({ DOCKER_HOST: "unix:///var/run/docker.sock" }), undefined);
  assert.equal(plainTcp({}), undefined);
});
