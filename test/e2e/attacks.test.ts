// ground: alone (forges labels on and pushes over the default deployment's services and plugin).
// What someone who can write Swarm objects (but holds no Vault token) tries against the
// operator: a Vault address planted in a label, terminal escape sequences in a status board.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { type Ground, useGround } from "../ground/ground.js";
import { waitFor } from "../ground/process.js";
import { deployArgs, ensureDeployed, vsp } from "../helpers/cli.js";
import { decoded, getSecret, pluginProcess, pluginSocket } from "../helpers/plugin.js";
import { deployStack, HOST_NETWORK, pluginLog, removeStack, sleeper } from "../helpers/swarm.js";
import { bao } from "../helpers/vault.js";

let ground: Ground;

before(async () => {
  ground = await useGround();
  await ensureDeployed(ground);
});

/** A loopback HTTP server that records every request it gets (a fake Vault). */
async function listener(): Promise<{
  url: string;
  seen: { path: string; token: boolean }[];
  close: () => Promise<void>;
}> {
  const seen: { path: string; token: boolean }[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? "", token: req.headers["x-vault-token"] !== undefined });
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end('{"initialized":true,"sealed":false}');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function setPluginLabel(key: string, value: string | undefined): Promise<string | undefined> {
  const service = ground.docker.getService("vsp-plugin");
  const info = (await service.inspect()) as {
    Version: { Index: number };
    Spec: { Labels?: Record<string, string> };
  };
  const labels = { ...(info.Spec.Labels ?? {}) };
  const old = labels[key];
  if (value === undefined) delete labels[key];
  else labels[key] = value;
  await service.update({ ...info.Spec, Labels: labels, version: info.Version.Index } as never);
  return old;
}

describe("Swarm labels do not steer the operator's Vault token", () => {
  let fake: Awaited<ReturnType<typeof listener>>;
  let original: string | undefined;
  before(async () => {
    fake = await listener();
    original = await setPluginLabel("com.vsp.vault-addr", fake.url);
  });
  after(async () => {
    await setPluginLabel("com.vsp.vault-addr", original);
    await fake.close();
  });

  test("vsp status without VAULT_ADDR contacts no address read from Swarm, and says Vault was not checked", async () => {
    const run = await vsp(ground, ["status", "--json"], { VAULT_ADDR: "" });
    const report = JSON.parse(run.stdout) as { problems: string[] };
    assert.deepEqual(fake.seen, []);
    assert.ok(
      report.problems.some((p) => /Vault not checked: set VAULT_ADDR/.test(p)),
      run.stdout,
    );
  });

  test("vsp status with VAULT_ADDR uses only it, and reports the planted address as a mismatch", async () => {
    const run = await vsp(ground, ["status", "--json"]);
    const report = JSON.parse(run.stdout) as { problems: string[]; vault: { addr: string } };
    assert.deepEqual(fake.seen, []);
    assert.equal(report.vault.addr, ground.vaultAddr);
    assert.ok(
      report.problems.some((p) => p.includes(`says it uses Vault at ${fake.url}`)),
      run.stdout,
    );
  });
});

describe("text from Swarm objects reaches the terminal without control characters", () => {
  let configId: string;
  before(async () => {
    const evil = "\u001b]0;owned\u0007\u001b[2J\u009b31m";
    const created = (await ground.docker.createConfig({
      Name: `vsp-plugin-status-forged${Date.now()}`,
      Labels: {
        "com.vsp.managed-by": "vsp",
        "com.vsp.role": "plugin-status",
        "com.vsp.failures": JSON.stringify([
          { service: `svc${evil}`, count: 1, last: `boom${evil}`, at: evil },
        ]),
      },
      Data: Buffer.from("x").toString("base64"),
    } as never)) as { id?: string; ID?: string };
    configId = created.id ?? created.ID ?? "";
  });
  after(async () => {
    await ground.docker
      .getConfig(configId)
      .remove()
      .catch(() => undefined);
  });

  test("vsp status prints a forged failure board escaped", async () => {
    const run = await vsp(ground, ["status"]);
    const out = run.stdout + run.stderr;
    assert.match(out, /boom/);
    assert.doesNotMatch(out, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});

describe("no deployment lets a service name pick any policy", () => {
  test("--policy-prefix '' without --task-policies, or with '*', is a usage error and changes nothing", async () => {
    for (const extra of [[], ["--task-policies", "*"], ["--task-policies", "app-*,**"]]) {
      const run = await vsp(ground, [
        ...deployArgs(ground, ["--name", "wide", "--policy-prefix", "", ...extra]),
      ]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /task policies|would allow every policy/);
    }
    const role = await bao(ground, "GET", "auth/token/roles/wide-task");
    assert.equal(role.status, 404);
  });
});

describe("forged bootstrap secrets steer no revocation and are never adopted", () => {
  const name = "atk";
  const victims: string[] = [];
  const forged: string[] = [];
  const forge = async (suffix: string, version: string, accessor: string) => {
    const created = (await ground.docker.createSecret({
      Name: `${name}-bootstrap-${suffix}`,
      Labels: {
        "com.vsp.managed-by": name,
        "com.vsp.role": "bootstrap-token",
        "com.vsp.accessor": accessor,
        "com.vsp.version": version,
      },
      Data: Buffer.from("not-the-bootstrap-token").toString("base64"),
    } as never)) as { id?: string; ID?: string };
    forged.push(created.id ?? created.ID ?? "");
  };
  const victimAlive = async (accessor: string) =>
    (await bao(ground, "POST", "auth/token/lookup-accessor", { accessor })).status === 200;
  const mountedSecretName = async () => {
    const spec = (await ground.docker.getService(`${name}-helper`).inspect()) as {
      Spec: { TaskTemplate: { ContainerSpec: { Secrets: { SecretName: string }[] } } };
    };
    return spec.Spec.TaskTemplate.ContainerSpec.Secrets[0]!.SecretName;
  };

  before(async () => {
    const run = await vsp(ground, [...deployArgs(ground, ["--name", name]), "--json"]);
    assert.equal(run.code, 0, run.stderr);
    // Tokens of someone else: one with the deployment's plugin policy but not minted by vsp.
    for (const body of [
      { policies: ["default"] },
      { policies: [`${name}-plugin`], no_default_policy: true },
    ]) {
      const res = await bao(ground, "POST", "auth/token/create-orphan", { ...body, ttl: "1h" });
      victims.push((res.json.auth as { accessor: string }).accessor);
    }
    await forge("v50", "50", victims[0]!);
    await forge("v60", "60", victims[1]!);
    await forge("vinf", "Infinity", victims[0]!);
  });
  after(async () => {
    await vsp(ground, ["remove", "--name", name, "--purge-vault"]);
    for (const id of forged)
      await ground.docker
        .getSecret(id)
        .remove()
        .catch(() => undefined);
  });

  test("deploy again keeps its own secret, not a newer forged one", async () => {
    const before = await mountedSecretName();
    const run = await vsp(ground, deployArgs(ground, ["--name", name]));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await mountedSecretName(), before);
    assert.match(run.stderr, /labels are malformed; ignored/);
    for (const v of victims) assert.ok(await victimAlive(v), "a foreign token was revoked");
  });

  test("rotate is not blocked by a malformed version and revokes no foreign accessor", async () => {
    const run = await vsp(ground, ["bootstrap-token", "rotate", "--name", name, "--grace", "1s"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /not a bootstrap token of "atk": not revoked/);
    for (const v of victims) assert.ok(await victimAlive(v), "a foreign token was revoked");
    assert.match(await mountedSecretName(), /^atk-bootstrap-v\d+$/);
  });

  test("remove --purge-vault revokes no foreign accessor", async () => {
    await forge("v90", "90", victims[1]!);
    const run = await vsp(ground, ["remove", "--name", name, "--purge-vault"]);
    assert.equal(run.code, 0, run.stderr);
    for (const v of victims) assert.ok(await victimAlive(v), "a foreign token was revoked");
  });
});

describe("a container dressed as the helper is not read", () => {
  test("the plugin reads the helper service's own task on its node, not the newest container with its labels", async () => {
    const nodeId = ((await ground.docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    const fake = await ground.docker.createContainer({
      Image: ground.state.baseImage,
      Cmd: [
        "/bin/sh",
        "-c",
        "mkdir -p /run/secrets; echo s.forged > /run/secrets/vsp-bootstrap-token; sleep 1000",
      ],
      Labels: { "com.vsp.role": "helper", "com.vsp.managed-by": "vsp", "com.docker.swarm.node.id": nodeId },
      HostConfig: { NetworkMode: "none" },
    });
    await fake.start();
    try {
      const helper = (await ground.docker.getService("vsp-helper").inspect()) as {
        Spec: { TaskTemplate: { ContainerSpec: { Secrets: { SecretID: string }[] } } };
      };
      const secretId = helper.Spec.TaskTemplate.ContainerSpec.Secrets[0]!.SecretID;
      const real = (
        (await ground.docker.getSecret(secretId).inspect()) as { Spec: { Labels: Record<string, string> } }
      ).Spec.Labels["com.vsp.accessor"];
      // A fresh plugin process loads its bootstrap token from "the helper" first thing.
      const old = await pluginProcess(ground);
      process.kill(old.pid, "SIGKILL");
      const socket = await pluginSocket(ground);
      const answer = await waitFor("the restarted plugin to deliver a token", async () => {
        const p = await pluginProcess(ground).catch(() => undefined);
        if (!p || p.pid === old.pid) return undefined;
        const a = await getSecret(socket, {
          SecretName: "atk_tok",
          SecretLabels: { "vsp.type": "token", "vsp.ttl": "60s" },
          ServiceName: "atk_svc",
          ServiceID: "atksvcid",
          TaskID: `atktask${Date.now()}`,
        }).catch(() => undefined);
        return a?.status === 200 ? a : undefined;
      });
      assert.ok(decoded(answer));
      const loaded = pluginLog(ground).filter((l) => l.msg === "bootstrap token loaded");
      assert.equal(loaded.at(-1)?.accessor, real);
    } finally {
      await fake.remove({ force: true });
    }
  });
});

describe("bounds are refused with the limit named, not capped silently", () => {
  test("a TTL above the role's max, a wrap longer than a day, a period", async () => {
    const socket = await pluginSocket(ground);
    const ask = (labels: Record<string, string>) =>
      getSecret(socket, {
        SecretName: "atk_bounds",
        SecretLabels: labels,
        ServiceName: "atk_svc",
        ServiceID: "atksvcid",
        TaskID: `atkbounds${Date.now()}${Math.random().toString(36).slice(2, 6)}`,
      });
    // The plugin reads the role's max TTL from Vault soon after it starts.
    await waitFor("the plugin to know the role's max TTL", async () => {
      const a = await ask({ "vsp.type": "token", "vsp.ttl": "48h" });
      return /above this deployment's task max TTL of 86400s/.test(String(a.body.Err)) || undefined;
    });
    const cases: [Record<string, string>, RegExp][] = [
      [{ "vsp.type": "token", "vsp.wrap": "2d" }, /longer than 24h/],
      [{ "vsp.type": "token", "vsp.period": "1h" }, /vsp\.period is not supported/],
    ];
    for (const [labels, why] of cases) {
      const a = await ask(labels);
      assert.equal(decoded(a), undefined);
      assert.match(String(a.body.Err), why);
    }
  });
});

describe("a stack that mounts the bootstrap secret is reported", () => {
  after(async () => {
    await removeStack(ground, "grab");
  });
  test("vsp status is unhealthy and names the service", async () => {
    const helper = (await ground.docker.getService("vsp-helper").inspect()) as {
      Spec: { TaskTemplate: { ContainerSpec: { Secrets: { SecretName: string }[] } } };
    };
    const secret = helper.Spec.TaskTemplate.ContainerSpec.Secrets[0]!.SecretName;
    await deployStack(
      ground,
      "grab",
      `version: "3.8"\nservices:\n${sleeper(ground, "app", 1, "[boot]")}secrets:\n  boot:\n    external: true\n    name: ${secret}\n${HOST_NETWORK}`,
    );
    const run = await vsp(ground, ["status", "--json"]);
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout) as { problems: string[] };
    assert.ok(
      report.problems.some((p) => p.includes("service grab_app mounts the plugin's bootstrap secret")),
      run.stdout,
    );
  });
});

describe("a plugin pushed over vsp's tag after deploy", () => {
  test("deploy refuses its other privileges; the plugin runs by digest (Engine 26+) or status reports the changed digest (20.10); the helper runs by digest", async () => {
    const [plugin] = (await ground.docker.listServices({
      filters: JSON.stringify({ name: ["vsp-plugin"], runtime: ["plugin"] }),
    })) as unknown as {
      Spec: {
        Labels: Record<string, string>;
        TaskTemplate: { PluginSpec: { remote?: string; Remote?: string } };
      };
    }[];
    const digest = plugin!.Spec.Labels["com.vsp.plugin-digest"] ?? "";
    assert.match(digest, /^sha256:[a-f0-9]{64}$/);
    const spec = plugin!.Spec.TaskTemplate.PluginSpec;
    const remote = spec.remote ?? spec.Remote ?? "";
    const byDigest = ground.state.engine.name !== "bookworm";
    assert.equal(remote.endsWith(`@${digest}`), byDigest, `plugin remote ${remote}`);
    const [helper] = (await ground.docker.listServices({
      filters: JSON.stringify({ name: ["vsp-helper"] }),
    })) as unknown as { Spec: { TaskTemplate: { ContainerSpec: { Image: string } } } }[];
    const image = helper!.Spec.TaskTemplate.ContainerSpec.Image.match(
      /-image:(c-[a-f0-9]+)@sha256:[a-f0-9]{64}$/,
    );
    assert.ok(image, "the helper runs its image by digest");
    const tag = image[1]!;
    const build = (socket: string) =>
      vsp(ground, [
        "build",
        "--registry",
        ground.registry,
        "--tag",
        tag,
        "--base-image",
        ground.state.baseImage,
        "--docker-socket",
        socket,
        "--push",
      ]);
    try {
      // The impostor mounts the host's /etc instead of the Docker socket.
      const pushed = await build("/etc");
      assert.equal(pushed.code, 0, pushed.stderr);
      const status = await vsp(ground, ["status"]);
      if (byDigest) {
        // The managers hold the digest deploy read: the tag pushed over reaches nothing.
        assert.doesNotMatch(status.stdout, /the plugin tag/);
        const installed = (
          (await ground.docker.listPlugins()) as unknown as { Name: string; PluginReference: string }[]
        ).find((p) => p.Name === "vsp:latest");
        assert.ok(installed?.PluginReference.endsWith(`@${digest}`), installed?.PluginReference);
      } else {
        assert.equal(status.code, 1);
        assert.match(
          status.stdout,
          /the plugin tag .* in the registry is now sha256:[a-f0-9]{64}, not the sha256:[a-f0-9]{64} deployed/,
        );
      }
      const run = await vsp(ground, [...deployArgs(ground, ["--skip-build", "--tag", tag])]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /asks for privileges vsp did not generate: asks mount=\/etc; lacks mount=/);
      assert.match(run.stderr, /allow only the operator to push to the registry/);
    } finally {
      // vsp's own plugin back under the tag, and deployed, for the files after this one.
      const restored = await build(ground.state.dockerd.socket);
      assert.equal(restored.code, 0, restored.stderr);
      const again = await vsp(ground, [...deployArgs(ground, ["--skip-build", "--tag", tag])]);
      assert.equal(again.code, 0, again.stderr);
    }
  });
});

describe("the bootstrap token can be bound to where the managers are", () => {
  const names = ["vspbound", "vspbadnet"];
  after(async () => {
    for (const name of names) await vsp(ground, ["remove", "--name", name, "--purge-vault"]);
  });

  async function boundCidrs(name: string): Promise<string[]> {
    const [secret] = (await ground.docker.listSecrets({
      filters: JSON.stringify({ label: [`com.vsp.managed-by=${name}`, "com.vsp.role=bootstrap-token"] }),
    })) as unknown as { Spec: { Labels: Record<string, string> } }[];
    const look = await bao(ground, "POST", "auth/token/lookup-accessor", {
      accessor: secret!.Spec.Labels["com.vsp.accessor"],
    });
    return ((look.json.data as { bound_cidrs?: string[] | null }).bound_cidrs ?? []).map(String);
  }

  test("auto binds it to the managers' addresses and deliveries work; elsewhere, Vault refuses the plugin", async () => {
    const ok = await vsp(ground, [
      ...deployArgs(ground, ["--name", "vspbound", "--bootstrap-cidrs", "auto"]),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    // OpenBao shows a single-host CIDR as the bare address.
    assert.deepEqual(await boundCidrs("vspbound"), ["127.0.0.1"]);
    const again = await vsp(ground, [
      ...deployArgs(ground, ["--name", "vspbound", "--bootstrap-cidrs", "auto"]),
    ]);
    assert.match(again.stdout, /nothing changed/, "the binding reads back as the same");
    // 192.0.2.0/24 (TEST-NET-1) is where no manager is: the plugin's own calls are refused.
    const bad = await vsp(ground, [
      ...deployArgs(ground, ["--name", "vspbadnet", "--bootstrap-cidrs", "192.0.2.0/24"]),
    ]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /probe/);
    assert.deepEqual(await boundCidrs("vspbadnet"), ["192.0.2.0/24"]);
    const usage = await vsp(ground, [
      ...deployArgs(ground, ["--name", "vspbadnet", "--bootstrap-cidrs", "everywhere"]),
    ]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /"everywhere" is not a CIDR/);
  });
});
