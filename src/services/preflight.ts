// Checks before deploy: each failure says exactly what to fix.

import type { DeployMode } from "../../common/installer.js";
import { type Engine, engineUnreachable, pingEngine } from "../docker/engine.js";
import { type EngineFacts, engineFacts } from "../docker/swarm.js";
import { describe, VspError } from "../errors.js";
import { VaultApiError, type VaultClient } from "../vault/client.js";

/** `mode` service needs experimental features here (auto mode surveys every manager later). */
export async function checkEngine(
  engine: Engine,
  address: string,
  mode: DeployMode | "auto" = "auto",
): Promise<EngineFacts> {
  let facts: EngineFacts;
  try {
    await pingEngine(engine);
    facts = await engineFacts(engine);
  } catch (err) {
    throw engineUnreachable(address, err);
  }
  if (facts.swarmState !== "active") {
    throw new VspError(
      `the engine at ${address} is not part of a swarm (state: ${facts.swarmState || "inactive"})`,
      "run docker swarm init, or point DOCKER_HOST at a swarm manager",
    );
  }
  if (!facts.isManager) {
    throw new VspError(
      `the engine at ${address} is a swarm worker, not a manager`,
      "point DOCKER_HOST at a manager node",
    );
  }
  if (mode === "service" && !facts.experimental) {
    throw new VspError(
      `the engine at ${address} runs without experimental features; plugin services need them`,
      'deploy with --mode installer (or --mode auto), or set "experimental": true in /etc/docker/daemon.json on every manager and restart dockerd',
    );
  }
  return facts;
}

function registryUrls(registry: string): string[] {
  const loopback = /^(127\.|localhost|\[::1\])/.test(registry);
  return loopback ? [`http://${registry}`] : [`https://${registry}`, `http://${registry}`];
}

/** The registry's base URL that answers /v2/, or undefined. */
export async function probeRegistry(registry: string): Promise<string | undefined> {
  for (const base of registryUrls(registry)) {
    try {
      const res = await fetch(`${base}/v2/`, { signal: AbortSignal.timeout(5000) });
      if (res.status === 200 || res.status === 401) return base;
    } catch {
      // try the next scheme
    }
  }
  return undefined;
}

export async function checkRegistry(registry: string): Promise<string> {
  const base = await probeRegistry(registry);
  if (!base) {
    throw new VspError(
      `the registry ${registry} does not answer on /v2/`,
      "start the registry or fix --registry (HOST[:PORT]); the managers pull the plugin from it anonymously",
    );
  }
  return base;
}

/** Every manifest a registry may hold for a tag: Docker v2 and OCI, single-platform or index. */
export const MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
];

/** The digest the registry holds for repo:tag, or undefined when it has none. */
export async function registryDigest(base: string, repo: string, tag: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${base}/v2/${repo}/manifests/${tag}`, {
      method: "HEAD",
      // Engines with the containerd image store (the default from Engine 29) push OCI manifests.
      headers: { Accept: MANIFEST_TYPES.join(", ") },
      signal: AbortSignal.timeout(5000),
    });
    if (res.status !== 200) return undefined;
    const digest = res.headers.get("docker-content-digest") ?? "";
    return /^sha256:[a-f0-9]{64}$/.test(digest) ? digest : undefined;
  } catch {
    return undefined;
  }
}

export async function registryHasTag(base: string, repo: string, tag: string): Promise<boolean> {
  return (await registryDigest(base, repo, tag)) !== undefined;
}

export async function checkVault(vault: VaultClient): Promise<void> {
  let health: Awaited<ReturnType<VaultClient["health"]>>;
  try {
    health = await vault.health();
  } catch (err) {
    const text = describe(err);
    if (/is not trusted/.test(text)) {
      throw new VspError(
        `Vault at ${vault.addr} cannot be verified: ${text}`,
        "set VAULT_CACERT to the CA file that signs Vault's certificate",
      );
    }
    throw new VspError(
      `Vault at ${vault.addr} is unreachable: ${text}`,
      "start Vault or fix VAULT_ADDR / --vault-addr",
    );
  }
  if (!health.initialized)
    throw new VspError(`Vault at ${vault.addr} is not initialized`, "run vault operator init");
  if (health.sealed)
    throw new VspError(
      `Vault at ${vault.addr} is sealed`,
      "unseal it (vault operator unseal) and run vsp again",
    );
  try {
    await vault.lookupSelf();
  } catch (err) {
    if (err instanceof VaultApiError && err.status === 403) {
      throw new VspError(
        `Vault rejects VAULT_TOKEN (invalid or expired)`,
        "log in again and export a valid operator VAULT_TOKEN",
      );
    }
    throw err;
  }
}
