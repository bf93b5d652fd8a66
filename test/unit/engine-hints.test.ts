import assert from "node:assert/strict";
import { test } from "node:test";
import type { TaskInfo } from "../../src/docker/services.js";
import { describeTasks, ENGINE_HINTS, hintFor, knownFailure } from "../../src/services/engine-hints.js";

// Task errors as engines report them (20.10 and 26 wording), each with the cause it must name.
const SEEN: [string, string | undefined][] = [
  [
    'invalid mount config for type "bind": bind source path does not exist: /srv/docker.sock',
    "docker-socket",
  ],
  [
    'error mounting "/var/run/docker.sock" to rootfs at "/var/run/docker.sock": no such file or directory',
    "docker-socket",
  ],
  [
    'failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "node": executable file not found in $PATH: unknown',
    "node",
  ],
  [
    'starting container failed: exec: "/usr/local/bin/node": stat /usr/local/bin/node: no such file or directory',
    "node",
  ],
  ["No such image: 10.0.0.5:5000/vsp-image:c-0123456789ab", "registry"],
  ["pull access denied for vsp, repository does not exist or may require 'docker login'", "registry"],
  ["manifest for reg:5000/vsp:c-1 not found: manifest unknown: manifest unknown", "registry"],
  ['Get "https://reg:5000/v2/": http: server gave HTTP response to HTTPS client', "registry"],
  ['Get "https://reg:5000/v2/": dial tcp: lookup reg on 127.0.0.11:53: no such host', "registry"],
  ["x509: certificate signed by unknown authority", "registry"],
  ['runtime type "plugin" requires the daemon to run with experimental features', "experimental"],
  ["no suitable node (scheduling constraints not satisfied on 3 nodes)", "placement"],
  ["task: non-zero exit (3)", undefined],
  // The manager survey: nothing answers the Docker API on --docker-socket.
  ["task: non-zero exit (4)", "docker-socket"],
  ["", undefined],
];

test("each engine error seen maps to the hint of its cause", () => {
  for (const [error, cause] of SEEN) assert.equal(hintFor(error)?.cause, cause, error);
  assert.equal(hintFor(undefined), undefined);
});

test("every hint names what to do, and the causes that cannot fix themselves are fatal", () => {
  const fatal = new Set(ENGINE_HINTS.filter((h) => h.fatal).map((h) => h.cause));
  assert.deepEqual([...fatal], ["docker-socket", "node", "experimental"]);
  assert.match(hintFor('runtime type "plugin" requires experimental')!.hint, /--mode installer/);
  assert.match(hintFor(SEEN[0]![0])!.hint, /--docker-socket/);
  assert.match(hintFor(SEEN[2]![0])!.hint, /--base-image/);
  assert.match(hintFor(SEEN[4]![0])!.hint, /registry/);
});

function task(nodeId: string, state: string, error: string | undefined, createdAt: string): TaskInfo {
  return {
    id: `${nodeId}-${createdAt}`,
    nodeId,
    state,
    desiredState: "running",
    error,
    createdAt,
    secretIds: [],
  };
}

test("tasks are described per node by their newest task, and fatal causes win", () => {
  const tasks = [
    task("n1", "rejected", "No such image: r/x:1", "2026-01-01T00:00:01Z"),
    task("n1", "running", undefined, "2026-01-01T00:00:02Z"),
    task("n2", "rejected", 'exec: "node": executable file not found in $PATH', "2026-01-01T00:00:01Z"),
  ];
  assert.equal(
    describeTasks(tasks, [{ id: "n1", hostname: "m1" }]),
    'on m1: running; on n2: rejected (exec: "node": executable file not found in $PATH)',
  );
  assert.equal(knownFailure(tasks)?.hint.cause, "node");
  assert.equal(describeTasks([], []), "no tasks");
});
