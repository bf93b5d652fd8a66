// Direct requests to the plugin as installed in the swarm, on its socket under /run/docker/plugins.
import http from "node:http";
import path from "node:path";
import type { GetSecretResponse } from "../../common/contract.js";
import type { Ground } from "../ground/ground.js";

export async function pluginSocket(ground: Ground, name = "vsp"): Promise<string> {
  const plugins = (await ground.docker.listPlugins({})) as unknown as {
    Id: string;
    Name: string;
    Enabled: boolean;
  }[];
  const p = plugins.find((x) => x.Name === `${name}:latest` && x.Enabled);
  if (!p) throw new Error(`plugin ${name} is not enabled on the ground`);
  return path.join("/run/docker/plugins", p.Id, "vsp.sock");
}

export interface RawAnswer {
  status: number;
  body: GetSecretResponse & Record<string, unknown>;
  text: string;
}

export function postRaw(
  socket: string,
  urlPath: string,
  body: string | Buffer,
  timeoutMs = 30_000,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: socket,
        path: urlPath,
        method: "POST",
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: RawAnswer["body"] = {};
          try {
            parsed = JSON.parse(text);
          } catch {
            // leave empty: the caller asserts on it
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error("plugin did not answer in time")));
    req.on("error", reject);
    req.end(body);
  });
}

export function getSecret(socket: string, request: Record<string, unknown>): Promise<RawAnswer> {
  return postRaw(socket, "/SecretProvider.GetSecret", JSON.stringify(request));
}

export function decoded(answer: RawAnswer): string | undefined {
  return answer.body.Value === undefined
    ? undefined
    : Buffer.from(answer.body.Value, "base64").toString("utf8");
}
