// The example stacks of compose/: their Vault side, and deployment on the ground with an
// override that swaps in the local image (nothing can be pulled here) and host networking.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Ground } from "../ground/ground.js";
import { ROOT } from "./cli.js";
import { must, writePolicy } from "./vault.js";

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

export async function setUpExampleVault(ground: Ground): Promise<ExampleValues> {
  const v = {
    dbPassword: `wp-${randomBytes(8).toString("hex")}`,
    dbRootPassword: `root-${randomBytes(8).toString("hex")}`,
    apiKey: `key-${randomBytes(8).toString("hex")}`,
    dbPass: `shop-${randomBytes(8).toString("hex")}`,
    caPem: "",
  };
  await must(ground, "POST", "secret/data/wordpress/db", {
    data: { password: v.dbPassword, root_password: v.dbRootPassword },
  });
  await must(ground, "POST", "secret/data/shop/api", {
    data: { key: v.apiKey, endpoint: "https://api.example" },
  });
  await must(ground, "POST", "secret/data/shop/env", { data: { DB_USER: "shop", DB_PASS: v.dbPass } });
  const mounts = (await must(ground, "GET", "sys/mounts")) as Record<string, unknown>;
  if (!("shop-pki/" in mounts) && !("shop-pki/" in ((mounts.data as Record<string, unknown>) ?? {}))) {
    await must(ground, "POST", "sys/mounts/shop-pki", { type: "pki", config: { max_lease_ttl: "8760h" } });
    await must(ground, "POST", "shop-pki/root/generate/internal", { common_name: "shop CA", ttl: "8760h" });
    await must(ground, "POST", "shop-pki/roles/shop", {
      allowed_domains: "shop.internal",
      allow_subdomains: true,
      max_ttl: "72h",
    });
  }
  v.caPem = String(
    ((await must(ground, "GET", "shop-pki/cert/ca")).data as { certificate: string }).certificate,
  );
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
