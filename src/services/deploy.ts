// vsp deploy: preflight, build/push, Vault objects, bootstrap secret, helper, plugin service,
// then a probe through Swarm. Idempotent: unchanged inputs change nothing.
import fs from "node:fs";
import { bootstrapRoleName, DEFAULT_DOCKER_SOCKET } from "../../common/contract.js";
import type { DeployMode } from "../../common/installer.js";
import { privilegeMismatch } from "../../common/privileges.js";
import type { Engine } from "../docker/engine.js";
import { pluginPrivileges } from "../docker/plugins.js";
import { createService, removeService, updateService } from "../docker/services.js";
import type { EngineFacts } from "../docker/swarm.js";
import { VspError } from "../errors.js";
import type { VaultClient } from "../vault/client.js";
import { buildPlugin, contentTag, refs } from "./build.js";
import {
  currentMode,
  issueBootstrapSecret,
  readDeployment,
  servicesMountingBootstrap,
} from "./deployment.js";
import { uninstallEverywhere, waitInstalls } from "./installer.js";
import { replacePluginService } from "./plugin-replace.js";
import { waitHelperRunning, waitPluginEnabled, waitPluginGone } from "./plugin-state.js";
import { checkEngine, checkRegistry, checkVault, registryDigest, registryHasTag } from "./preflight.js";
import { probeRoundTrip } from "./probe.js";
import { inStep, type Reporter } from "./report.js";
import { withRunLock } from "./run-lock.js";
import { type ManagerSurvey, surveyManagers } from "./socket-check.js";
import {
  expectedPrivileges,
  helperSpec,
  installerSpec,
  type PluginServiceOptions,
  pluginServiceSpec,
  sameHash,
} from "./specs.js";
import { ensureVaultObjects, isBootstrapToken, type VaultObjectOptions } from "./vault-objects.js";

export interface DeployOptions {
  name: string;
  registry: string;
  tag?: string;
  baseImage: string;
  policyPrefix: string;
  /** Globs of the policies task tokens may carry (validated by the command). */
  taskPolicies: string[];
  skipBuild: boolean;
  dockerSocket?: string;
  /** Vault address as the managers reach it (default: the CLI's). */
  pluginVaultAddr?: string;
  engineAddress: string;
  vaultObjects: Omit<VaultObjectOptions, "name" | "taskPolicies" | "bootstrapCidrs">;
  /** auto: the managers' addresses; []: anywhere; undefined: as the bootstrap role has it. */
  bootstrapCidrs?: "auto" | string[];
  /** service: a plugin service (experimental engines); installer: a global installer service; auto: see README. */
  mode: DeployMode | "auto";
}

export interface DeployResult {
  name: string;
  pluginRef: string;
  imageRef: string;
  mode: DeployMode;
  /** Why this mode: forced, kept, or what the survey found. */
  modeReason: string;
  changed: string[];
  bootstrapAccessor: string;
  probeMs?: number;
}

/** The oldest engine known to take a digest in a plugin reference. */
const DIGEST_PLUGIN_ENGINE = 26;

function engineMajor(version: string): number {
  const m = version.match(/^(\d+)\./);
  return m ? Number(m[1]) : 0;
}

export function pluginDigestSafe(local: string, managers: { engineVersion: string }[]): boolean {
  return [local, ...managers.map((m) => m.engineVersion)].every(
    (v) => engineMajor(v) >= DIGEST_PLUGIN_ENGINE,
  );
}

/** Each manager's Swarm address as a single-host CIDR. */
export function managerCidrs(managers: { addr: string }[]): string[] {
  const out = new Set<string>();
  for (const m of managers) {
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(m.addr)) out.add(`${m.addr}/32`);
    else if (/^[0-9a-fA-F:]+$/.test(m.addr)) out.add(`${m.addr}/128`);
  }
  if (out.size === 0)
    throw new VspError(
      "--bootstrap-cidrs auto: no manager address found",
      "list the CIDRs Vault sees the managers from",
    );
  return [...out].sort();
}

export async function deploy(
  engine: Engine,
  vault: VaultClient,
  o: DeployOptions,
  r: Reporter,
): Promise<DeployResult> {
  const facts = await inStep(r, "checking the Docker engine", () =>
    checkEngine(engine, o.engineAddress, o.mode),
  );
  const registryBase = await inStep(r, `checking registry ${o.registry}`, () => checkRegistry(o.registry));
  await inStep(r, `checking Vault at ${vault.addr}`, () => checkVault(vault));
  return withRunLock(engine, o.name, "deploy", () =>
    applyDeployment(engine, vault, o, r, facts, registryBase),
  );
}

/** Everything deploy changes, under the deployment's run lock. */
async function applyDeployment(
  engine: Engine,
  vault: VaultClient,
  o: DeployOptions,
  r: Reporter,
  facts: EngineFacts,
  registryBase: string,
): Promise<DeployResult> {
  const changed: string[] = [];
  const dockerSocket = o.dockerSocket ?? DEFAULT_DOCKER_SOCKET;
  const tag = o.tag ?? contentTag(o.baseImage, dockerSocket);
  const { pluginRef, imageRef } = refs(o.name, o.registry, tag);
  if (o.skipBuild) {
    r.info(`skipping build: using ${pluginRef}`);
  } else if (
    (await registryHasTag(registryBase, o.name, tag)) &&
    (await registryHasTag(registryBase, `${o.name}-image`, tag))
  ) {
    r.info(`plugin ${pluginRef} is already in the registry`);
  } else {
    await inStep(r, `building and pushing ${pluginRef}`, async (s) => {
      await buildPlugin(
        engine,
        { name: o.name, registry: o.registry, tag, baseImage: o.baseImage, dockerSocket, push: true },
        (line) => {
          r.detail(line);
          if (!/^[a-f0-9]{12}: /.test(line))
            s.update(`building and pushing ${pluginRef}: ${line.slice(0, 60)}`);
        },
      );
    });
    changed.push(`plugin ${pluginRef} built and pushed`);
  }

  // Deployed by digest: a tag pushed over later changes nothing on the managers.
  const [pluginDigest, imageDigest] = await Promise.all([
    registryDigest(registryBase, o.name, tag),
    registryDigest(registryBase, `${o.name}-image`, tag),
  ]);
  if (!pluginDigest || !imageDigest)
    throw new VspError(
      `the registry ${o.registry} has no ${!pluginDigest ? pluginRef : imageRef}`,
      o.skipBuild
        ? "push it first (vsp build --push), or deploy without --skip-build"
        : "check that the registry keeps what is pushed to it",
    );
  // The plugin goes by digest where every manager runs Engine 26 or later (tested); Engine 20.10's
  // dockerd dies on a digest in a plugin reference (seen with /plugins/privileges), so there it
  // goes by tag, its digest recorded on the service, and vsp status reports a tag pushed over since.
  const byDigest = pluginDigestSafe(facts.serverVersion, facts.managers);
  const pinnedPlugin = byDigest
    ? `${pluginRef.slice(0, pluginRef.lastIndexOf(":"))}@${pluginDigest}`
    : pluginRef;
  const pinnedImage = `${imageRef}@${imageDigest}`;

  const vaultOpts: VaultObjectOptions = {
    name: o.name,
    taskPolicies: o.taskPolicies,
    ...o.vaultObjects,
    bootstrapCidrs: o.bootstrapCidrs === "auto" ? managerCidrs(facts.managers) : o.bootstrapCidrs,
  };
  changed.push(
    ...(await inStep(r, "Vault policy and token role", () =>
      ensureVaultObjects(vault, vaultOpts, (m) => r.warn(m)),
    )),
  );

  const deployment = await readDeployment(engine, o.name);
  const secret = await inStep(r, "bootstrap token", async () => {
    for (const svc of await servicesMountingBootstrap(engine, deployment))
      r.warn(
        `service ${svc} mounts the plugin's bootstrap secret and so holds its token; remove it and rotate`,
      );
    for (const name of deployment.ignoredSecrets)
      r.warn(
        `secret ${name} is labelled as a bootstrap secret of "${o.name}" but its labels are malformed; ignored`,
      );
    // Adopt only a secret whose accessor Vault shows as this deployment's bootstrap token.
    for (const s of deployment.bootstrapSecrets) {
      const info = await vault.lookupAccessor(s.accessor);
      if (info && isBootstrapToken(info, o.name)) {
        if (changed.some((c) => c.startsWith(`token role ${bootstrapRoleName(o.name)}`)))
          r.warn(
            "the bootstrap binding changed: run vsp bootstrap-token rotate so the plugin's token carries it",
          );
        return s;
      }
    }
    const issued = await issueBootstrapSecret(engine, vault, deployment);
    changed.push(`bootstrap token ${issued.accessor} in secret ${issued.name}`);
    return issued;
  });

  const helper = helperSpec(o.name, pinnedImage, secret);
  await inStep(r, "helper service", async () => {
    if (!deployment.helper) {
      await createService(engine, helper);
      changed.push("helper service created");
    } else if (!sameHash(deployment.helper, helper)) {
      await updateService(engine, deployment.helper, helper);
      changed.push("helper service updated");
    }
    await waitHelperRunning(engine, o.name, secret.id);
  });

  const caPem = process.env.VAULT_CACERT ? fs.readFileSync(process.env.VAULT_CACERT, "utf8") : undefined;
  const privileges = await inStep(r, "reading the plugin's privileges", async () => {
    const asked = await pluginPrivileges(engine, pinnedPlugin);
    const unexpected = privilegeMismatch(asked, expectedPrivileges(dockerSocket));
    if (unexpected)
      throw new VspError(
        `the plugin ${pinnedPlugin} in the registry asks for privileges vsp did not generate: ${unexpected}`,
        "someone pushed another plugin under this tag: deploy without --skip-build (a new build gets a new digest), and allow only the operator to push to the registry",
      );
    if ((await registryDigest(registryBase, o.name, tag)) !== pluginDigest)
      throw new VspError(
        `the plugin tag ${pluginRef} changed in the registry while deploy was reading it`,
        "someone is pushing to vsp's tags: allow only the operator to push to the registry, then deploy again",
      );
    return asked;
  });
  const pluginOptions: PluginServiceOptions = {
    name: o.name,
    pluginRef: pinnedPlugin,
    pluginDigest,
    privileges,
    vaultAddr: o.pluginVaultAddr ?? vault.addr,
    vaultNamespace: vault.settings.namespace,
    vaultCaCertPem: caPem,
    policyPrefix: o.policyPrefix,
    taskPolicies: o.taskPolicies,
  };
  const waitMs = Number(process.env.VSP_WAIT_MS ?? 120000);
  // The survey (Docker socket and experimental features on every manager) runs when the plugin's
  // service changes, or when auto mode has nothing deployed to go by.
  let managers: ManagerSurvey[] | undefined;
  const survey = async () => {
    managers ??= await surveyManagers(engine, o.name, pinnedImage, dockerSocket);
    return managers;
  };
  let mode = o.mode === "auto" ? currentMode(deployment) : o.mode;
  let modeReason = o.mode === "auto" ? "the mode deployed before (auto)" : "--mode";
  if (!mode) {
    const found = await inStep(r, "checking the managers (Docker socket, experimental features)", survey);
    const plain = found.filter((m) => !m.experimental);
    mode = plain.length === 0 ? "service" : "installer";
    modeReason =
      plain.length === 0
        ? "every manager runs with experimental features"
        : `${plain
            .map((m) => m.hostname)
            .sort()
            .join(", ")} run${plain.length === 1 ? "s" : ""} without experimental features`;
  }
  r.info(`mode: ${mode} (${modeReason})`);

  if (mode === "service") {
    const plugin = pluginServiceSpec(pluginOptions);
    await inStep(r, "plugin service", async () => {
      if (deployment.plugin && sameHash(deployment.plugin, plugin)) return;
      const plain = (await survey()).filter((m) => !m.experimental);
      if (plain.length)
        throw new VspError(
          `plugin services need experimental features, and ${plain.map((m) => m.hostname).join(", ")} run${plain.length === 1 ? "s" : ""} without`,
          'deploy with --mode installer (or --mode auto), or set "experimental": true in /etc/docker/daemon.json on every manager and restart dockerd',
        );
      if (deployment.installer) {
        await uninstallEverywhere(engine, deployment.installer, o.name);
        changed.push("installer service removed (plugin service mode)");
      }
      changed.push(deployment.plugin ? "plugin service recreated" : "plugin service created");
      await replacePluginService(
        {
          create: (spec) => createService(engine, spec),
          remove: (id) => removeService(engine, id),
          waitGone: () => waitPluginGone(engine, o.name),
          waitEnabled: () => waitPluginEnabled(engine, o.name, waitMs),
        },
        deployment.plugin,
        plugin,
        r,
      );
    });
    await inStep(r, "waiting for the plugin on every manager", () =>
      waitPluginEnabled(engine, o.name, waitMs),
    );
  } else {
    const installer = installerSpec({
      ...pluginOptions,
      imageRef: pinnedImage,
      dockerSocket,
      action: "install",
      ...(process.env.VSP_INSTALL_INTERVAL_MS
        ? { intervalMs: Number(process.env.VSP_INSTALL_INTERVAL_MS) }
        : {}),
    });
    const installerId = await inStep(r, "installer service", async () => {
      if (deployment.installer && sameHash(deployment.installer, installer)) return deployment.installer.id;
      await survey();
      if (deployment.plugin) {
        await removeService(engine, deployment.plugin.id);
        await waitPluginGone(engine, o.name);
        changed.push("plugin service removed (installer mode)");
      }
      if (deployment.installer) {
        await updateService(engine, deployment.installer, installer);
        changed.push("installer service updated");
        return deployment.installer.id;
      }
      changed.push("installer service created");
      return createService(engine, installer);
    });
    await inStep(r, "waiting for the plugin on every manager", () =>
      waitInstalls(engine, { id: installerId }, o.name, installer, "enabled", waitMs),
    );
  }

  let probeMs: number | undefined;
  if (changed.length > 0) {
    probeMs = await inStep(r, "probe: a secret through Swarm and the plugin", () =>
      probeRoundTrip(engine, o.name, pinnedImage),
    );
  }
  if (changed.length === 0) r.info("nothing changed: the deployment already matches");
  if (!secret.accessor) throw new VspError("internal: bootstrap secret without accessor");
  return {
    name: o.name,
    pluginRef: pinnedPlugin,
    imageRef: pinnedImage,
    mode,
    modeReason,
    changed,
    bootstrapAccessor: secret.accessor,
    probeMs,
  };
}
