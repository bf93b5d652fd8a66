// The floor any secret plugin written on Node's http pays: the plugin's own protocol layer
// (plugin-src/server.ts) and Vault client (plugin-src/vault-http.ts) with nothing between them,
// one kv read with a fixed token per GetSecret: no labels, policy, deadline, repeat memory or
// log line. The bench runs it on the host beside the plugin, so "plugin vs floor" is what vsp's
// own code costs and "floor vs direct" what the extra HTTP hop costs.
// Usage: node floor-proxy.js <socket> <vault address> <kv data path> <field>  (token on stdin)
import { encodeError, encodeValue } from "../plugin-src/codec.js";
import { createPluginServer, listenUnix } from "../plugin-src/server.js";
import { VaultHttpClient } from "../plugin-src/vault-http.js";

const [socket, address, kvPath, field] = process.argv.slice(2);
if (!socket || !address || !kvPath || !field) {
  process.stderr.write(
    "usage: floor-proxy <socket> <vault address> <kv data path> <field> (token on stdin)\n",
  );
  process.exit(2);
}
const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const token = Buffer.concat(chunks).toString("utf8").trim();
const vault = new VaultHttpClient({ address, timeoutMs: 5000, retries: 0 });
const server = createPluginServer(
  async () => {
    try {
      const res = await vault.call({ method: "GET", path: kvPath, token });
      const data = (res.data as { data?: Record<string, unknown> } | undefined)?.data ?? {};
      return { status: 200, body: encodeValue(Buffer.from(String(data[field] ?? ""))) };
    } catch (err) {
      return { status: 500, body: encodeError((err as Error).message) };
    }
  },
  () => undefined,
);
await listenUnix(server, socket);
process.stdout.write("listening\n");
process.on("SIGTERM", () => {
  server.close();
  vault.close();
  process.exit(0);
});
