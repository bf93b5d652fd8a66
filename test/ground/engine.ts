// Which Docker Engine the test grounds run, chosen with VSP_TEST_ENGINE:
//   bookworm (default)  the system's dockerd: Debian bookworm's docker.io 20.10, containerd 1.6
//   trixie              Debian trixie's docker.io 26.1.5 and containerd 1.7.24, unpacked privately
//                       by scripts/setup-machine.sh, with the containerd image store switched on
//                       (as Engine 29 has by default); runc stays bookworm's (trixie's needs glibc 2.38)
import fs from "node:fs";
import path from "node:path";
import type Docker from "dockerode";

export const ENGINE_NAMES = ["bookworm", "trixie"] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export interface TestEngine {
  name: EngineName;
  dockerd: string;
  /** Folders put first on the daemon's PATH: its own containerd and shims. */
  pathFirst: string[];
  /** The daemon.json every engine of this kind starts with. */
  daemonConfig: Record<string, unknown>;
}

/** Where setup-machine.sh unpacks private engines (one folder per Debian release). */
export const ENGINES_DIR = process.env.VSP_ENGINES_DIR ?? "/opt/vsp-engines";

export function engineName(value = process.env.VSP_TEST_ENGINE): EngineName {
  const name = value?.trim() || "bookworm";
  if (!(ENGINE_NAMES as readonly string[]).includes(name))
    throw new Error(`VSP_TEST_ENGINE=${name} is not one of ${ENGINE_NAMES.join(", ")}`);
  return name as EngineName;
}

export function testEngine(systemDockerd: string, name: EngineName = engineName()): TestEngine {
  if (name === "bookworm") return { name, dockerd: systemDockerd, pathFirst: [], daemonConfig: {} };
  const root = path.join(ENGINES_DIR, `debian-${name}`);
  const dockerd = path.join(root, "usr", "sbin", "dockerd");
  if (!fs.existsSync(dockerd))
    throw new Error(
      `VSP_TEST_ENGINE=${name} needs ${dockerd}: run scripts/setup-machine.sh (it unpacks Debian ${name}'s docker.io and containerd there)`,
    );
  return {
    name,
    dockerd,
    pathFirst: [path.join(root, "usr", "bin"), path.join(root, "usr", "sbin")],
    daemonConfig: { features: { "containerd-snapshotter": true } },
  };
}

/** The environment a daemon of this engine starts with. */
export function engineEnv(engine: TestEngine, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const system = "/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin";
  return { ...base, PATH: [...engine.pathFirst, base.PATH ?? "", system].filter(Boolean).join(":") };
}

export function daemonJson(engine: TestEngine): string {
  return `${JSON.stringify(engine.daemonConfig)}\n`;
}

/**
 * What the running daemon reports, e.g. "trixie: Engine 26.1.5+dfsg1, containerd 1.7.24~ds1,
 * containerd image store"; throws when the engine is not the one asked for.
 */
export async function runningEngine(docker: Docker, engine: TestEngine): Promise<string> {
  const version = (await docker.version()) as {
    Version: string;
    Components?: { Name: string; Version: string }[];
  };
  const info = (await docker.info()) as { Driver: string; DriverStatus?: [string, string][] };
  const containerd = version.Components?.find((c) => c.Name === "containerd")?.Version ?? "?";
  const snapshotter = (info.DriverStatus ?? []).some(([, v]) => v.includes("snapshotter"));
  const wantSnapshotter = "features" in engine.daemonConfig;
  if (snapshotter !== wantSnapshotter)
    throw new Error(
      `the ${engine.name} engine runs ${snapshotter ? "with" : "without"} the containerd image store, expected the opposite`,
    );
  const store = snapshotter ? "containerd image store" : `graph driver ${info.Driver}`;
  return `${engine.name}: Engine ${version.Version}, containerd ${containerd}, ${store}`;
}
