// Before the plugin service is created: does --docker-socket exist on every manager? The plugin
// engine gives no error for a missing bind source (its task stays "ready"), so a one-shot global
// task of the vsp image mounts the path read-only, runs `node -e 0`, and the engine's own mount
// error comes back within seconds.

import { until } from "../../common/poll.js";
import type { Engine } from "../docker/engine.js";
import { createService, removeService, serviceTasks } from "../docker/services.js";
import { engineFacts } from "../docker/swarm.js";
import { VspError } from "../errors.js";
import { managedLabels } from "./deployment.js";
import { describeTasks, hintFor } from "./engine-hints.js";

export async function checkDockerSocketOnManagers(
  engine: Engine,
  name: string,
  imageRef: string,
  socketPath: string,
  timeoutMs = 60_000,
): Promise<void> {
  const managers = (await engineFacts(engine)).managers.filter((m) => m.state === "ready");
  const id = await createService(engine, {
    Name: `${name}-socket-check`,
    Labels: managedLabels(name, "probe"),
    TaskTemplate: {
      ContainerSpec: {
        Image: imageRef,
        Command: ["node", "-e", "0"],
        ReadOnly: true,
        CapabilityDrop: ["ALL"],
        Mounts: [{ Type: "bind", Source: socketPath, Target: "/vsp-socket-check", ReadOnly: true }],
      },
      RestartPolicy: { Condition: "none" },
      Placement: { Constraints: ["node.role==manager"] },
    },
    Mode: { Global: {} },
  });
  try {
    await until(
      timeoutMs,
      async () => {
        const tasks = await serviceTasks(engine, id);
        const failed = tasks.find((t) => ["failed", "rejected"].includes(t.state));
        if (failed) {
          const hint = hintFor(failed.error);
          throw new VspError(
            `the Docker socket check failed ${describeTasks([failed], managers)}`,
            hint?.hint ?? "see the engine's error above",
          );
        }
        const done = managers.every((m) => tasks.some((t) => t.nodeId === m.id && t.state === "complete"));
        return done ? true : undefined;
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
