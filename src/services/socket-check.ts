// Before the plugin or installer service is created: does --docker-socket exist on every manager,
// and does each manager's engine run with experimental features (plugin services need them)? The
// plugin engine gives no error for a missing bind source (its task stays "ready"), so a one-shot
// global task of the vsp image mounts the path read-only and asks the engine behind it; the
// engine's own mount error comes back within seconds, and the exit code says experimental or not.

import { until } from "../../common/poll.js";
import type { Engine } from "../docker/engine.js";
import { createService, removeService, serviceTasks } from "../docker/services.js";
import { engineFacts } from "../docker/swarm.js";
import { VspError } from "../errors.js";
import { managedLabels } from "./deployment.js";
import { describeTasks, hintFor } from "./engine-hints.js";

const MOUNT = "/vsp-socket-check";
const NOT_EXPERIMENTAL = 3;
/** Exit 0: experimental; 3: not; 4: no engine answers on the socket. */
const SURVEY_SCRIPT = `require("http").get({socketPath:${JSON.stringify(MOUNT)},path:"/info"},r=>{let b="";r.on("data",d=>b+=d);r.on("end",()=>{try{process.exit(JSON.parse(b).ExperimentalBuild?0:${NOT_EXPERIMENTAL})}catch{process.exit(4)}})}).on("error",()=>process.exit(4))`;

export interface ManagerSurvey {
  id: string;
  hostname: string;
  experimental: boolean;
}

export async function surveyManagers(
  engine: Engine,
  name: string,
  imageRef: string,
  socketPath: string,
  timeoutMs = 60_000,
): Promise<ManagerSurvey[]> {
  const managers = (await engineFacts(engine)).managers.filter((m) => m.state === "ready");
  const id = await createService(engine, {
    Name: `${name}-socket-check`,
    Labels: managedLabels(name, "probe"),
    TaskTemplate: {
      ContainerSpec: {
        Image: imageRef,
        Command: ["node", "-e", SURVEY_SCRIPT],
        ReadOnly: true,
        CapabilityDrop: ["ALL"],
        Mounts: [{ Type: "bind", Source: socketPath, Target: MOUNT, ReadOnly: true }],
      },
      RestartPolicy: { Condition: "none" },
      Placement: { Constraints: ["node.role==manager"] },
    },
    Mode: { Global: {} },
  });
  const notExperimental = (t: { state: string; error?: string }) =>
    t.state === "failed" && new RegExp(`exit \\(${NOT_EXPERIMENTAL}\\)`).test(t.error ?? "");
  try {
    return await until(
      timeoutMs,
      async () => {
        const tasks = await serviceTasks(engine, id);
        const failed = tasks.find((t) => ["failed", "rejected"].includes(t.state) && !notExperimental(t));
        if (failed) {
          const hint = hintFor(failed.error);
          throw new VspError(
            `the Docker socket check failed ${describeTasks([failed], managers)}`,
            hint?.hint ?? "see the engine's error above",
          );
        }
        const results = managers.map((m) => {
          const t = tasks.find((x) => x.nodeId === m.id && (x.state === "complete" || notExperimental(x)));
          return t ? { id: m.id, hostname: m.hostname, experimental: t.state === "complete" } : undefined;
        });
        return results.every((x) => x !== undefined) ? (results as ManagerSurvey[]) : undefined;
      },
      async () =>
        new VspError(
          `the Docker socket check did not finish on every manager within ${timeoutMs / 1000}s: ${describeTasks(await serviceTasks(engine, id), managers)}`,
          "check that the managers can pull the vsp image from the registry",
        ),
    );
  } finally {
    await removeService(engine, id);
  }
}
