// Choices deploy makes from what the swarm reports: the plugin by digest only where every engine
// takes one; the installer's spec changes its generation whenever what it installs changes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { INSTALLER_ENV } from "../../common/installer.js";
import { pluginDigestSafe } from "../../src/services/deploy.js";
import { installerTarget } from "../../src/services/installer.js";
import { installerSpec } from "../../src/services/specs.js";

test("the plugin goes by digest only when the CLI's engine and every manager run Engine 26 or later", () => {
  const m = (...v: string[]) => v.map((engineVersion) => ({ engineVersion }));
  assert.equal(pluginDigestSafe("26.1.5+dfsg1", m("26.1.5+dfsg1", "29.7.2")), true);
  assert.equal(pluginDigestSafe("26.1.5+dfsg1", m("26.1.5+dfsg1", "20.10.24+dfsg1")), false);
  assert.equal(pluginDigestSafe("20.10.24+dfsg1", m("26.1.5")), false);
  assert.equal(
    pluginDigestSafe("26.1.5", m("")),
    false,
    "an engine that does not say is not trusted with a digest",
  );
});

test("installer spec: the generation follows what is installed, and reads back", () => {
  const base = {
    name: "vsp",
    pluginRef: "reg:5000/vsp:c-1",
    privileges: [{ name: "network", description: "", value: ["host"] }],
    vaultAddr: "https://vault:8200",
    policyPrefix: "swarm-",
    taskPolicies: ["swarm-*"],
    imageRef: `reg:5000/vsp-image:c-1@sha256:${"a".repeat(64)}`,
    dockerSocket: "/var/run/docker.sock",
    action: "install" as const,
  };
  const a = installerTarget(installerSpec(base));
  assert.equal(a.remote, "reg:5000/vsp:c-1");
  assert.match(a.generation, /^[a-f0-9]{16}$/);
  assert.equal(installerTarget(installerSpec(base)).generation, a.generation, "stable");
  for (const change of [
    { pluginRef: "reg:5000/vsp:c-2" },
    { vaultAddr: "https://other:8200" },
    { action: "remove" as const },
  ])
    assert.notEqual(
      installerTarget(installerSpec({ ...base, ...change })).generation,
      a.generation,
      JSON.stringify(change),
    );
  const env = (installerSpec(base).TaskTemplate as { ContainerSpec: { Env: string[] } }).ContainerSpec.Env;
  assert.ok(
    env.every((e) => !/token/i.test(e.split("=")[0]!)),
    "no token in the installer's env",
  );
  assert.ok(env.some((e) => e.startsWith(`${INSTALLER_ENV.pluginEnv}=`)));
});
