// The installer's pass against a fake plugin store: the fewest steps from each starting point,
// a plugin asking for other privileges never installed, a failed step reported and retried; its
// settings and per-node reports read strictly.
import assert from "node:assert/strict";
import { test } from "node:test";
import { OBJECT_LABELS } from "../../common/contract.js";
import { INSTALLER_ENV, parseReport, reportLabels, reportName } from "../../common/installer.js";
import type { Privilege } from "../../common/privileges.js";
import {
  type Desired,
  type InstalledPlugin,
  type NodePlugins,
  reconcile,
} from "../../plugin-src/installer/reconcile.js";
import { installerSettings } from "../../plugin-src/installer/settings.js";

const PRIVS: Privilege[] = [
  { name: "network", value: ["host"] },
  { name: "mount", value: ["/var/run/docker.sock"] },
];

class FakePlugins implements NodePlugins {
  calls: string[] = [];
  plugin: InstalledPlugin | undefined;
  asked: Privilege[] = PRIVS;
  failOn = "";
  private step(what: string) {
    this.calls.push(what);
    if (this.failOn && what.startsWith(this.failOn)) throw new Error(`engine says no to ${what}`);
  }
  async find() {
    return this.plugin ? structuredClone(this.plugin) : undefined;
  }
  async privileges(remote: string) {
    this.step(`privileges ${remote}`);
    return this.asked;
  }
  async install(_n: string, remote: string) {
    this.step(`install ${remote}`);
    this.plugin = { remote, enabled: false, env: [] };
  }
  async upgrade(_n: string, remote: string) {
    this.step(`upgrade ${remote}`);
    this.plugin!.remote = remote;
  }
  async configure(_n: string, env: string[]) {
    this.step("configure");
    this.plugin!.env = [...env];
  }
  async enable() {
    this.step("enable");
    this.plugin!.enabled = true;
  }
  async disable() {
    this.step("disable");
    this.plugin!.enabled = false;
  }
  async remove() {
    this.step("remove");
    this.plugin = undefined;
  }
}

const desired: Desired = {
  name: "vsp",
  remote: "reg:5000/vsp:c-1",
  privileges: PRIVS,
  env: ["VAULT_ADDR=https://vault:8200", "VSP_NAME=vsp"],
  action: "install",
};

test("nothing on the node: privileges checked, installed, configured, enabled; a second pass does nothing", async () => {
  const p = new FakePlugins();
  const first = await reconcile(p, desired);
  assert.deepEqual(first, {
    state: "enabled",
    steps: ["installed reg:5000/vsp:c-1", "configured", "enabled"],
  });
  assert.deepEqual(p.calls, [
    "privileges reg:5000/vsp:c-1",
    "install reg:5000/vsp:c-1",
    "configure",
    "enable",
  ]);
  p.calls = [];
  assert.deepEqual(await reconcile(p, desired), { state: "enabled", steps: [] });
  assert.deepEqual(p.calls, []);
});

test("a new tag: disabled, upgraded, configured, enabled", async () => {
  const p = new FakePlugins();
  p.plugin = { remote: "reg:5000/vsp:c-0", enabled: true, env: desired.env };
  const r = await reconcile(p, desired);
  assert.equal(r.state, "enabled");
  assert.deepEqual(p.calls, [
    "privileges reg:5000/vsp:c-1",
    "disable",
    "upgrade reg:5000/vsp:c-1",
    "configure",
    "enable",
  ]);
});

test("changed settings: configured again without a pull; a disabled plugin is only enabled", async () => {
  const p = new FakePlugins();
  p.plugin = {
    remote: desired.remote,
    enabled: true,
    env: ["VAULT_ADDR=http://old:8200", "VSP_NAME=vsp", "X=1"],
  };
  await reconcile(p, desired);
  assert.deepEqual(p.calls, ["disable", "configure", "enable"]);
  p.calls = [];
  p.plugin.enabled = false;
  await reconcile(p, desired);
  assert.deepEqual(p.calls, ["enable"]);
});

test("a plugin in the registry asking for more privileges is not installed, and the report says why", async () => {
  const p = new FakePlugins();
  p.asked = [...PRIVS, { name: "capabilities", value: ["CAP_SYS_ADMIN"] }];
  const r = await reconcile(p, desired);
  assert.equal(r.state, "failed");
  assert.match(
    r.error!,
    /asks for privileges vsp did not generate \(asks capabilities=CAP_SYS_ADMIN\); not installed/,
  );
  assert.equal(p.plugin, undefined);
  // Nor upgraded over an installed one.
  p.plugin = { remote: "reg:5000/vsp:c-0", enabled: true, env: desired.env };
  p.calls = [];
  await reconcile(p, desired);
  assert.deepEqual(p.calls, ["privileges reg:5000/vsp:c-1"]);
  assert.equal(p.plugin.remote, "reg:5000/vsp:c-0");
});

test("a failing step is reported with the engine's message; the next pass carries on from where it stopped", async () => {
  const p = new FakePlugins();
  p.failOn = "enable";
  const r = await reconcile(p, desired);
  assert.equal(r.state, "failed");
  assert.match(r.error!, /engine says no to enable/);
  assert.deepEqual(r.steps, ["installed reg:5000/vsp:c-1", "configured"]);
  p.failOn = "";
  p.calls = [];
  assert.deepEqual(await reconcile(p, desired), { state: "enabled", steps: ["enabled"] });
});

test("remove: the plugin goes (enabled or not); nothing to do when it is gone", async () => {
  const p = new FakePlugins();
  p.plugin = { remote: desired.remote, enabled: true, env: [] };
  assert.deepEqual(await reconcile(p, { ...desired, action: "remove" }), {
    state: "removed",
    steps: ["removed"],
  });
  assert.deepEqual(await reconcile(p, { ...desired, action: "remove" }), { state: "removed", steps: [] });
});

test("settings: what deploy writes parses; anything else is refused with the variable's name", () => {
  const env = {
    [INSTALLER_ENV.pluginName]: "vsp",
    [INSTALLER_ENV.remote]: "reg:5000/vsp:c-1",
    [INSTALLER_ENV.privileges]: JSON.stringify(PRIVS),
    [INSTALLER_ENV.pluginEnv]: JSON.stringify(desired.env),
    [INSTALLER_ENV.generation]: "0123456789abcdef",
  };
  const s = installerSettings(env);
  assert.equal(s.action, "install");
  assert.equal(s.intervalMs, 10_000);
  assert.deepEqual(s.privileges, PRIVS);
  const bad: [Record<string, string>, RegExp][] = [
    [{ [INSTALLER_ENV.pluginName]: "Vsp;rm" }, /VSP_INSTALL_NAME/],
    [{ [INSTALLER_ENV.remote]: "reg/vsp:c-1 --x" }, /VSP_INSTALL_REMOTE/],
    [{ [INSTALLER_ENV.privileges]: '[{"name":1}]' }, /VSP_INSTALL_PRIVILEGES has an unexpected shape/],
    [{ [INSTALLER_ENV.pluginEnv]: "{" }, /VSP_INSTALL_PLUGIN_ENV is not JSON/],
    [{ [INSTALLER_ENV.action]: "upgrade" }, /VSP_INSTALL_ACTION/],
    [{ [INSTALLER_ENV.intervalMs]: "10" }, /VSP_INSTALL_INTERVAL_MS/],
    [{ [INSTALLER_ENV.generation]: "" }, /VSP_INSTALL_GENERATION/],
  ];
  for (const [change, message] of bad) assert.throws(() => installerSettings({ ...env, ...change }), message);
});

test("reports: written labels read back; a forged or misnamed report is not a report", () => {
  const r = {
    nodeId: "abcdefghij0123456789abcde",
    hostname: "m1",
    remote: "reg:5000/vsp:c-1",
    generation: "0123456789abcdef",
    state: "enabled" as const,
    at: "2026-12-01T00:00:00.000Z",
  };
  const labels = reportLabels("vsp", r);
  const name = reportName("vsp", r.nodeId);
  assert.deepEqual(parseReport("vsp", name, labels), r);
  assert.equal(parseReport("vsp", "vsp-install-other", labels), undefined, "name must match the node");
  assert.equal(parseReport("other", name, labels), undefined, "another deployment's");
  assert.equal(parseReport("vsp", name, { ...labels, "com.vsp.install-state": "great" }), undefined);
  assert.equal(parseReport("vsp", name, { ...labels, [OBJECT_LABELS.role]: "plugin-status" }), undefined);
  assert.equal(parseReport("vsp", name, { ...labels, "com.vsp.install-at": "yesterday" }), undefined);
  assert.equal(parseReport("vsp", name, { ...labels, "com.vsp.install-generation": "x" }), undefined);
});
