// A real round trip through Swarm and the plugin: a one-shot service with a vsp token secret.
import { randomBytes } from "node:crypto";
import { LABEL_PREFIX } from "../../common/contract.js";
import { until } from "../../common/poll.js";
import type { Engine } from "../docker/engine.js";
import { createSecret, removeSecretWhenFree } from "../docker/secrets.js";
import { createService, removeService, serviceTasks } from "../docker/services.js";
import { VspError } from "../errors.js";
import { managedLabels } from "./deployment.js";
import { hintFor } from "./engine-hints.js";

export async function probeRoundTrip(
  engine: Engine,
  name: string,
  imageRef: string,
  timeoutMs = 90_000,
): Promise<number> {
  const started = Date.now();
  const suffix = randomBytes(3).toString("hex");
  const secretId = await createSecret(
    engine,
    `${name}-probe-${suffix}`,
    { driver: name },
    {
      ...managedLabels(name, "probe"),
      [`${LABEL_PREFIX}type`]: "token",
      [`${LABEL_PREFIX}ttl`]: "60s",
      [`${LABEL_PREFIX}num-uses`]: "1",
    },
  );
  let serviceId: string | undefined;
  try {
    serviceId = await createService(engine, {
      Name: `${name}-probe`,
      Labels: managedLabels(name, "probe"),
      TaskTemplate: {
        ContainerSpec: {
          Image: imageRef,
          Command: ["node", "-e", "process.exit(require('fs').statSync('/run/secrets/probe').size>0?0:3)"],
          Secrets: [
            {
              File: { Name: "probe", UID: "0", GID: "0", Mode: 0o400 },
              SecretID: secretId,
              SecretName: `${name}-probe-${suffix}`,
            },
          ],
        },
        RestartPolicy: { Condition: "none" },
        Placement: { Constraints: ["node.role==manager"] },
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    const id = serviceId;
    await until(
      timeoutMs,
      async () => {
        const tasks = await serviceTasks(engine, id);
        const t = tasks[0];
        if (!t) return undefined;
        if (t.state === "complete") return true;
        if (["failed", "rejected"].includes(t.state)) {
          throw new VspError(
            `the probe task got no secret from the plugin: ${t.error ?? t.state}`,
            hintFor(t.error)?.hint ?? "see the plugin's log lines (vsp status) for the reason Swarm hides",
          );
        }
        return undefined;
      },
      () => new VspError(`the probe task did not finish within ${timeoutMs / 1000}s`),
    );
    return Date.now() - started;
  } finally {
    if (serviceId) await removeService(engine, serviceId);
    await removeSecretWhenFree(engine, secretId, 20_000);
  }
}
