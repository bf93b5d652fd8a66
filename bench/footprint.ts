// Measurement 3: cold start, RSS idle and after load, and what the plugin adds to its base image.
import fs from "node:fs";
import path from "node:path";
import type { Ground } from "../test/ground/ground.js";
import { ROOT } from "../test/helpers/cli.js";
import { findPluginPid, rssKb } from "../test/helpers/procs.js";
import { PluginClient } from "./clients.js";
import type { FloorProxy } from "./setup.js";
import { midMedian, runBatch, sleep } from "./stats.js";
import { requestFor, type Sides } from "./workload.js";

export interface ColdStart {
  /** A new plugin process appeared in /proc (the engine restarts a plugin that died). */
  processMs: number;
  /** First GetSecret (kv) answered with a value. Both counted from the SIGKILL. */
  firstAnswerMs: number;
}

export interface Footprint {
  coldStarts: ColdStart[];
  coldStartMedianMs: number;
  idleRssKb: number;
  loadRequests: number;
  loadConcurrency: number;
  loadErrors: number;
  loadRps: number;
  afterLoadRssKb: number;
  peakRssKb: number;
  rssGrowth: number;
  /** The floor proxy (a fresh one) under the same load: what Node's http + the Vault client grow by alone. */
  floor?: RssUnderLoad;
  bundleBytes: { plugin: number; helper: number };
  pluginImage: { ref: string; bytes: number };
  baseImage: { ref: string; bytes: number };
  vspShareBytes: number;
}

export interface RssUnderLoad {
  idleRssKb: number;
  afterLoadRssKb: number;
  growth: number;
  errors: number;
  rps: number;
}

/** RSS of `pid` 3 s after it went idle, then after `requests` kv requests through `client` and 2 s of rest. */
async function rssUnderLoad(
  pid: number,
  client: PluginClient,
  expected: string,
  o: { loadRequests: number; loadConcurrency: number },
): Promise<RssUnderLoad> {
  await sleep(3000);
  const idleRssKb = rssKb(pid);
  const load = await runBatch(o.loadRequests, o.loadConcurrency, async () => {
    if ((await client.getSecret(requestFor("kv"))) !== expected) throw new Error("wrong kv value");
  });
  await sleep(2000);
  const afterLoadRssKb = rssKb(pid);
  return {
    idleRssKb,
    afterLoadRssKb,
    growth: afterLoadRssKb / idleRssKb - 1,
    errors: load.errors,
    rps: (load.latencies.length / load.wallMs) * 1000,
  };
}

interface PluginRow {
  Id: string;
  Name: string;
  Enabled: boolean;
}

async function enabledPlugin(ground: Ground): Promise<PluginRow> {
  const plugins = (await ground.docker.listPlugins({})) as unknown as PluginRow[];
  const p = plugins.find((x) => x.Name === "vsp:latest" && x.Enabled);
  if (!p) throw new Error("plugin vsp is not enabled");
  return p;
}

/**
 * Cold start: SIGKILL the plugin's process (this ground's, found by plugin id), as a crash would;
 * the engine starts the plugin again by itself, and the bench polls the socket with kv requests
 * until one is answered with a value. Swarm's plugin task is not involved (a disable + enable
 * through the engine API makes Swarm replace the task, and on this engine the replacement left
 * the plugin without its docker.sock mount, so later helper reads failed).
 */
async function coldStart(ground: Ground, expected: string): Promise<ColdStart> {
  const plugin = await enabledPlugin(ground);
  const oldPid = findPluginPid(plugin.Id);
  if (!oldPid) throw new Error("the plugin process is not in /proc");
  const client = new PluginClient(path.join("/run/docker/plugins", plugin.Id, "vsp.sock"), 4);
  const started = performance.now();
  process.kill(oldPid, "SIGKILL");
  let processMs = Number.NaN;
  let firstAnswerMs = Number.NaN;
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (Number.isNaN(processMs)) {
        const pid = findPluginPid(plugin.Id);
        if (pid && pid !== oldPid) processMs = performance.now() - started;
      }
      try {
        if ((await client.getSecret(requestFor("kv"), 10_000)) !== expected)
          throw new Error("the restarted plugin answered a wrong value");
        firstAnswerMs = performance.now() - started;
        break;
      } catch (err) {
        if (/wrong value/.test((err as Error).message)) throw err;
        await sleep(5);
      }
    }
  } finally {
    client.close();
  }
  if (Number.isNaN(firstAnswerMs)) throw new Error("the plugin did not answer within 60 s of the kill");
  return { processMs, firstAnswerMs };
}

async function pluginTaskRunning(ground: Ground): Promise<void> {
  const tasks = (await ground.docker.listTasks({
    filters: JSON.stringify({ runtime: ["plugin"], "desired-state": ["running"] }),
  } as never)) as unknown as { Status: { State: string } }[];
  if (!tasks.length || tasks.some((t) => t.Status.State !== "running"))
    throw new Error("the plugin service's task is not running after the cold starts");
}

function imageSize(ground: Ground, ref: string): Promise<number> {
  return ground.docker
    .getImage(ref)
    .inspect()
    .then((i) => Number(i.Size));
}

export async function measureFootprint(
  ground: Ground,
  s: Sides,
  o: {
    coldStarts: number;
    loadRequests: number;
    loadConcurrency: number;
    log: (m: string) => void;
    /** Starts a fresh floor proxy, measured under the same load after the plugin. */
    startFloor?: () => Promise<FloorProxy>;
  },
): Promise<Footprint> {
  const coldStarts: ColdStart[] = [];
  for (let i = 0; i < o.coldStarts; i++) {
    const c = await coldStart(ground, s.expected);
    coldStarts.push(c);
    o.log(
      `  cold start ${i + 1}: new process after ${c.processMs.toFixed(0)} ms, first answer ${c.firstAnswerMs.toFixed(0)} ms`,
    );
    await sleep(1000);
  }
  await pluginTaskRunning(ground);

  const plugin = await enabledPlugin(ground);
  const pid = findPluginPid(plugin.Id);
  if (!pid) throw new Error("the plugin process is not in /proc");
  const client = new PluginClient(path.join("/run/docker/plugins", plugin.Id, "vsp.sock"));
  let load: RssUnderLoad;
  try {
    load = await rssUnderLoad(pid, client, s.expected, o);
  } finally {
    client.close();
  }
  if (findPluginPid(plugin.Id) !== pid) throw new Error("the plugin process restarted during the load");
  const peakRssKb = Number.parseInt(
    fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmHWM:\s+(\d+)/m)?.[1] ?? "0",
    10,
  );
  const rssLine = (who: string, l: RssUnderLoad) =>
    o.log(
      `  ${who}: RSS idle ${(l.idleRssKb / 1024).toFixed(1)} MB, after ${o.loadRequests} kv requests ${(l.afterLoadRssKb / 1024).toFixed(1)} MB (${l.errors} errors, ${l.rps.toFixed(0)} req/s)`,
    );
  rssLine("plugin", load);
  let floor: RssUnderLoad | undefined;
  if (o.startFloor) {
    const f = await o.startFloor();
    try {
      floor = await rssUnderLoad(f.pid, f.client, s.expected, o);
    } finally {
      f.client.close();
      f.stop();
    }
    rssLine("floor proxy", floor);
  }

  const imgs = (await ground.docker.listImages({})) as unknown as { RepoTags?: string[] }[];
  const pluginImageRef = imgs.flatMap((i) => i.RepoTags ?? []).find((t) => t.includes("/vsp-image:"));
  if (!pluginImageRef) throw new Error("the plugin image <registry>/vsp-image:<tag> is not on the engine");
  const bundle = path.join(ROOT, "dist", "plugin-image");
  const pluginBytes = await imageSize(ground, pluginImageRef);
  const baseBytes = await imageSize(ground, ground.state.baseImage);
  return {
    coldStarts,
    coldStartMedianMs: midMedian(coldStarts.map((c) => c.firstAnswerMs)),
    idleRssKb: load.idleRssKb,
    loadRequests: o.loadRequests,
    loadConcurrency: o.loadConcurrency,
    loadErrors: load.errors,
    loadRps: load.rps,
    afterLoadRssKb: load.afterLoadRssKb,
    peakRssKb,
    rssGrowth: load.growth,
    ...(floor ? { floor } : {}),
    bundleBytes: {
      plugin: fs.statSync(path.join(bundle, "plugin.cjs")).size,
      helper: fs.statSync(path.join(bundle, "helper.cjs")).size,
    },
    pluginImage: { ref: pluginImageRef, bytes: pluginBytes },
    baseImage: { ref: ground.state.baseImage, bytes: baseBytes },
    vspShareBytes: pluginBytes - baseBytes,
  };
}
