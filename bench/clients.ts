// The two clients the bench compares: the plugin on its unix socket and OpenBao directly, both over
// node:http with keep-alive agents. Neither ever prints a value or a token.
import { randomBytes } from "node:crypto";
import http from "node:http";
import { type VaultCall, VaultHttpClient } from "../plugin-src/vault-http.js";

export interface BenchRequest {
  SecretName: string;
  SecretLabels: Record<string, string>;
  ServiceName: string;
  ServiceID: string;
  TaskID: string;
  TaskName: string;
  NodeID: string;
  TaskImage: string;
}

const runId = randomBytes(4).toString("hex");
let taskCounter = 0;

/** A GetSecret request as Swarm sends it, each with a TaskID never used before in this run. */
export function benchRequest(service: string, secret: string, labels: Record<string, string>): BenchRequest {
  const n = ++taskCounter;
  const task = `b${runId}${n.toString(36).padStart(6, "0")}`;
  return {
    SecretName: secret,
    SecretLabels: labels,
    ServiceName: service,
    ServiceID: `svc-${service}`,
    TaskID: task,
    TaskName: `${service}.${n}.${task}`,
    NodeID: "bench-node",
    TaskImage: "bench-image",
  };
}

interface Answer {
  status: number;
  text: string;
}

function send(options: http.RequestOptions, body: Buffer | undefined, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("error", reject);
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

export class PluginClient {
  private readonly agent: http.Agent;
  constructor(
    readonly socket: string,
    maxSockets = 64,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** GetSecret; resolves with the decoded value, throws with the plugin's Err otherwise. */
  async getSecret(request: BenchRequest, timeoutMs = 30_000): Promise<string> {
    const body = Buffer.from(JSON.stringify(request));
    const a = await send(
      {
        socketPath: this.socket,
        path: "/SecretProvider.GetSecret",
        method: "POST",
        agent: this.agent,
        headers: { "Content-Type": "application/json", "Content-Length": body.length },
      },
      body,
      timeoutMs,
    );
    let parsed: { Value?: string; Err?: string } = {};
    try {
      parsed = JSON.parse(a.text) as typeof parsed;
    } catch {
      // handled below
    }
    if (a.status !== 200 || parsed.Value === undefined)
      throw new Error(`plugin answered ${a.status}: ${String(parsed.Err ?? "no JSON").slice(0, 200)}`);
    return Buffer.from(parsed.Value, "base64").toString("utf8");
  }

  close(): void {
    this.agent.destroy();
  }
}

export type VaultJson = Record<string, unknown>;

/** OpenBao called directly, through the same Vault client as the plugin (no retries). */
export class DirectVault {
  private readonly client: VaultHttpClient;
  constructor(addr: string) {
    this.client = new VaultHttpClient({ address: addr, timeoutMs: 30_000, retries: 0 });
  }

  call(
    method: VaultCall["method"],
    path: string,
    token: string,
    body?: unknown,
    wrapSeconds?: number,
    extraHeaders: Record<string, string> = {},
  ): Promise<VaultJson> {
    return this.client.call({
      method,
      path,
      token,
      headers: extraHeaders,
      ...(body === undefined ? {} : { body }),
      ...(wrapSeconds ? { wrapSeconds } : {}),
    });
  }

  close(): void {
    this.client.close();
  }
}
