// Which policies task tokens may carry: case-insensitive denials, globs, never "*".
import assert from "node:assert/strict";
import { test } from "node:test";
import { policyAllowed, taskPolicyGlobs, taskPolicyGlobsProblem } from "../../common/task-policies.js";

test("the plugin's own policy, root and default are refused in any case, whatever the globs", () => {
  for (const p of ["root", "ROOT", "Root", "default", "DEFAULT", "vsp-plugin", "Vsp-Plugin", "VSP-PLUGIN"])
    assert.equal(policyAllowed(p, ["*o*", "r*", "d*", "v*", "R*", "D*", "V*"], "vsp"), false, p);
});

test("a policy must match one of the globs, ignoring case as Vault does", () => {
  const globs = ["app-*", "web"];
  assert.equal(policyAllowed("app-x", globs, "vsp"), true);
  assert.equal(policyAllowed("APP-X", globs, "vsp"), true);
  assert.equal(policyAllowed("web", globs, "vsp"), true);
  assert.equal(policyAllowed("webx", globs, "vsp"), false);
  assert.equal(policyAllowed("admin", globs, "vsp"), false);
  assert.equal(policyAllowed("xapp-x", globs, "vsp"), false);
  // Regex characters in a glob are literal.
  assert.equal(policyAllowed("a.b", ["a.b"], "vsp"), true);
  assert.equal(policyAllowed("axb", ["a.b"], "vsp"), false);
});

test("the default globs follow the prefix; an empty prefix needs an explicit list, never '*'", () => {
  assert.deepEqual(taskPolicyGlobs("swarm-", undefined), ["swarm-*"]);
  assert.deepEqual(taskPolicyGlobs("", undefined), []);
  assert.deepEqual(taskPolicyGlobs("", ["app-*"]), ["app-*"]);
  assert.match(taskPolicyGlobsProblem([]) ?? "", /list the policies/);
  assert.match(taskPolicyGlobsProblem(["app-*", "*"]) ?? "", /would allow every policy/);
  assert.match(taskPolicyGlobsProblem(["***"]) ?? "", /would allow every policy/);
  assert.match(taskPolicyGlobsProblem(["a b"]) ?? "", /characters outside/);
  assert.equal(taskPolicyGlobsProblem(["swarm-*"]), undefined);
});
