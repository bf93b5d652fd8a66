// The example stacks of compose/: their Vault side, and deployment on the ground with an
// override that swaps in the local image (nothing can be pulled here) and host networking.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Ground } from "../ground/ground.js";
import { waitFor } from "../ground/process.js";
import { ROOT } from "./cli.js";
import { bao, must, writePolicy } from "./vault.js";

export const EXAMPLES = {
  dream: { file: "dream.yml", services: ["app"] },
  wordpress: { file: "wordpress.yml", services: ["db", "wordpress"] },
  shop: { file: "kv-pki.yml", services: ["api"] },
} as const;

export type ExampleStack = keyof typeof EXAMPLES;

export interface ExampleValues {
  dbPassword: string;
  dbRootPassword: string;
  apiKey: string;
  dbPass: string;
  caPem: string;
}

/**
 * Writes `data` at a KV v2 path once per ground (check-and-set 0) and gives what is there: two
 * files that set up the examples side by side agree on one set of values.
 */
async function kvOnce(
  ground: Ground,
  path: string,
  data: Record<string, string>,
): Promise<Record<string, string>> {
  const write = await bao(ground, "POST", `secret/data/${path}`, { options: { cas: 0 }, data });
  if (write.status >= 300 && !/check-and-set/.test(JSON.stringify(write.json.errors ?? "")))
    throw new Error(`OpenBao POST secret/data/${path}: ${write.status} ${JSON.stringify(write.json.errors)}`);
  const read = await must(ground, "GET", `secret/data/${path}`);
  return (read.data as { data: Record<string, string> }).data;
}

/** The examples' PKI mount, CA and role, made by whichever file comes first; the other waits for them. */
async function shopPki(ground: Ground): Promise<string> {
  const mount = await bao(ground, "POST", "sys/mounts/shop-pki", {
    type: "pki",
    config: { max_lease_ttl: "8760h" },
  });
  if (mount.status < 300) {
    await must(ground, "POST", "shop-pki/root/generate/internal", { common_name: "shop CA", ttl: "8760h" });
    await must(ground, "POST", "shop-pki/roles/shop", {
      allowed_domains: "shop.internal",
      allow_subdomains: true,
      max_ttl: "72h",
    });
  } else if (!/already in use/.test(JSON.stringify(mount.json.errors ?? ""))) {
    throw new Error(`OpenBao POST sys/mounts/shop-pki: ${mount.status} ${JSON.stringify(mount.json.errors)}`);
  }
  return waitFor(
    "the examples' PKI CA and role",
    async () => {
      if ((await bao(ground, "GET", "shop-pki/roles/shop")).status !== 200) return undefined;
      const ca = await bao(ground, "GET", "shop-pki/cert/ca");
      const pem = (ca.json.data as { certificate?: string } | undefined)?.certificate ?? "";
      return pem.includes("BEGIN CERTIFICATE") ? pem : undefined;
    },
    30_000,
  );
}

export async function setUpExampleVault(ground: Ground): Promise<ExampleValues> {
  const wordpress = await kvOnce(ground, "wordpress/db", {
    password: `wp-${randomBytes(8).toString("hex")}`,
    root_password: `root-${randomBytes(8).toString("hex")}`,
  });
  const api = await kvOnce(ground, "shop/api", {
    key: `key-${randomBytes(8).toString("hex")}`,
    endpoint: "https://api.example",
  });
  const env = await kvOnce(ground, "shop/env", {
    DB_USER: "shop",
    DB_PASS: `shop-${randomBytes(8).toString("hex")}`,
  });
  const v: ExampleValues = {
    dbPassword: wordpress.password!,
    dbRootPassword: wordpress.root_password!,
    apiKey: api.key!,
    dbPass: env.DB_PASS!,
    caPem: await shopPki(ground),
  };
  const wp = 'path "secret/data/wordpress/db" { capabilities = ["read"] }';
  await writePolicy(ground, "swarm-wordpress_db", wp);
  await writePolicy(ground, "swarm-wordpress_wordpress", wp);
  await writePolicy(ground, "swarm-dream_app", 'path "secret/data/dream/*" { capabilities = ["read"] }');
  await writePolicy(
    ground,
    "swarm-shop_api",
    'path "secret/data/shop/*" { capabilities = ["read"] }\npath "shop-pki/issue/shop" { capabilities = ["update"] }',
  );
  return v;
}

/** The example file as shipped, with the PKI mount renamed for the ground (a separate mount). */
export function exampleFile(ground: Ground, stack: ExampleStack): string {
  const src = path.join(ROOT, "compose", EXAMPLES[stack].file);
  if (stack !== "shop") return src;
  const dir = ground.tempDir("example-shop");
  const dest = path.join(dir, EXAMPLES[stack].file);
  fs.writeFileSync(
    dest,
    fs.readFileSync(src, "utf8").replace("vsp.path: pki/issue/shop", "vsp.path: shop-pki/issue/shop"),
  );
  return dest;
}

export function overrideFor(ground: Ground, stack: ExampleStack): string {
  const services = EXAMPLES[stack].services
    .map(
      (s) =>
        // The docker CLI appends list fields when merging files, so the original command stays
        // and only becomes the arguments ($0…) of this entrypoint.
        `  ${s}:\n    image: ${ground.state.baseImage}\n    entrypoint: ["/bin/sh", "-c", "exec /bin/sleep 100000"]\n    stop_grace_period: 1s\n    networks: [hostnet]\n`,
    )
    .join("");
  const file = path.join(ground.tempDir(`override-${stack}`), "override.yml");
  fs.writeFileSync(
    file,
    `version: "3.8"\nservices:\n${services}networks:\n  hostnet:\n    external: true\n    name: host\n`,
  );
  return file;
}

export async function deployExample(ground: Ground, stack: ExampleStack): Promise<void> {
  await ground.dockerCli([
    "stack",
    "deploy",
    "--resolve-image",
    "never",
    "-c",
    exampleFile(ground, stack),
    "-c",
    overrideFor(ground, stack),
    stack,
  ]);
}
