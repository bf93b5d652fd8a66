// Measurement 2: time from service create until all R tasks run, with a vsp secret versus a static
// (plain) Swarm secret; sides alternate round by round.
import { randomBytes } from "node:crypto";
import type { Ground } from "../test/ground/ground.js";
import { waitFor } from "../test/ground/process.js";
import { SCALE_SERVICE, STATIC_SERVICE } from "./setup.js";
import { midMedian, sleep } from "./stats.js";
import { KV_FIELD, KV_SECRET } from "./workload.js";

export type ScaleSide = "vsp" | "static";

export interface ScaleRow {
  replicas: number;
  vspMs: number[];
  staticMs: number[];
  vspMedianMs: number;
  staticMedianMs: number;
  ratio: number;
}

export interface ScaleOptions {
  replicas: number[];
  rounds: (replicas: number) => number;
  log: (m: string) => void;
}

interface BenchSecret {
  id: string;
  name: string;
}

const BENCH_LABEL = "com.vsp.bench";

async function createSecrets(ground: Ground): Promise<Record<ScaleSide, BenchSecret>> {
  const vspName = "bench_scale_vsp";
  const staticName = "bench_scale_static";
  const vsp = (await ground.docker.createSecret({
    Name: vspName,
    Labels: { [BENCH_LABEL]: "1", "vsp.path": `secret/${KV_SECRET}`, "vsp.field": KV_FIELD },
    Driver: { Name: "vsp" },
  } as never)) as unknown as { id: string };
  const plain = (await ground.docker.createSecret({
    Name: staticName,
    Labels: { [BENCH_LABEL]: "1" },
    Data: Buffer.from(randomBytes(24).toString("hex")).toString("base64"),
  } as never)) as unknown as { id: string };
  return { vsp: { id: vsp.id, name: vspName }, static: { id: plain.id, name: staticName } };
}

function parseTimestamp(ts: string): number {
  // RFC 3339 with nanoseconds: keep milliseconds for Date.parse.
  return Date.parse(ts.replace(/(\.\d{3})\d*/, "$1"));
}

interface TaskRow {
  DesiredState: string;
  Status: { State: string; Timestamp: string; Err?: string };
}

async function oneRun(
  ground: Ground,
  image: string,
  side: ScaleSide,
  secret: BenchSecret,
  replicas: number,
): Promise<number> {
  const name = side === "vsp" ? SCALE_SERVICE : STATIC_SERVICE;
  const started = Date.now();
  const created = (await ground.docker.createService({
    Name: name,
    Labels: { [BENCH_LABEL]: "1" },
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Command: ["/bin/sleep", "100000"],
        StopGracePeriod: 1_000_000_000,
        Secrets: [
          {
            File: { Name: "bench", UID: "0", GID: "0", Mode: 0o400 },
            SecretID: secret.id,
            SecretName: secret.name,
          },
        ],
      },
      Networks: [{ Target: "host" }],
    },
    Mode: { Replicated: { Replicas: replicas } },
  } as never)) as unknown as { id?: string; ID?: string };
  const id = (created.id ?? created.ID)!;
  try {
    return await waitFor(
      `${replicas} running task(s) of ${name}`,
      async () => {
        const tasks = (await ground.docker.listTasks({
          filters: JSON.stringify({ service: [id], "desired-state": ["running"] }),
        } as never)) as unknown as TaskRow[];
        const broken = tasks.find((t) => ["rejected", "failed"].includes(t.Status.State));
        if (broken) throw new Error(`a task of ${name} failed: ${broken.Status.Err ?? broken.Status.State}`);
        const running = tasks.filter((t) => t.Status.State === "running");
        if (running.length < replicas) return undefined;
        // The moment the last task reached running, as the engine recorded it.
        return Math.max(...running.map((t) => parseTimestamp(t.Status.Timestamp))) - started;
      },
      180_000,
      100,
    );
  } finally {
    await removeAndWait(ground, id);
  }
}

async function removeAndWait(ground: Ground, id: string): Promise<void> {
  await ground.docker
    .getService(id)
    .remove()
    .catch(() => undefined);
  await waitFor(
    "the bench service's containers to be gone",
    async () => {
      const left = await ground.docker.listContainers({
        all: true,
        filters: { label: [`com.docker.swarm.service.id=${id}`] },
      });
      return left.length === 0 || undefined;
    },
    120_000,
    250,
  );
}

export async function measureScaleOut(ground: Ground, o: ScaleOptions): Promise<ScaleRow[]> {
  // By image ID: the engine then skips its pull attempt (no registry for the local base image).
  const image = (await ground.docker.getImage(ground.state.baseImage).inspect()).Id;
  const secrets = await createSecrets(ground);
  const rows: ScaleRow[] = [];
  try {
    for (const replicas of o.replicas) {
      const times: Record<ScaleSide, number[]> = { vsp: [], static: [] };
      for (let r = 0; r < o.rounds(replicas); r++) {
        const order: ScaleSide[] = r % 2 === 0 ? ["vsp", "static"] : ["static", "vsp"];
        for (const side of order) {
          times[side].push(await oneRun(ground, image, side, secrets[side], replicas));
          await sleep(300);
        }
      }
      const row: ScaleRow = {
        replicas,
        vspMs: times.vsp,
        staticMs: times.static,
        vspMedianMs: midMedian(times.vsp),
        staticMedianMs: midMedian(times.static),
        ratio: midMedian(times.vsp) / midMedian(times.static),
      };
      rows.push(row);
      o.log(
        `  R=${String(replicas).padStart(2)}: vsp ${times.vsp.join("/")} ms, static ${times.static.join("/")} ms (×${row.ratio.toFixed(2)})`,
      );
    }
  } finally {
    for (const s of Object.values(secrets))
      await ground.docker
        .getSecret(s.id)
        .remove()
        .catch(() => undefined);
  }
  return rows;
}
