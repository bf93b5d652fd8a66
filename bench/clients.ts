// The two clients the bench compares: the plugin on its unix socket and OpenBao directly, both over
// node:http with keep-alive agents. Neither ever prints a value or a token.
import { randomBytes } from "node:crypto";
import http from "node:http";

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

export class DirectVault {
  private readonly agent: http.Agent;
  private readonly url: URL;
  constructor(addr: string, maxSockets = 64) {
    this.url = new URL(addr);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 10_000 });
  }

  async call(
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    token: string,
    body?: unknown,
    wrapSeconds?: number,
    extraHeaders: Record<string, string> = {},
  ): Promise<VaultJson> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = {
      ...extraHeaders,
      Accept: "application/json",
      "X-Vault-Token": token,
    };
    if (wrapSeconds) headers["X-Vault-Wrap-TTL"] = `${wrapSeconds}s`;
    if (payload) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = String(payload.length);
    }
    const a = await send(
      {
        hostname: this.url.hostname,
        port: this.url.port,
        method,
        path: `/v1/${path}`,
        headers,
        agent: this.agent,
      },
      payload,
      30_000,
    );
    const parsed = (a.text.trim() ? JSON.parse(a.text) : {}) as VaultJson;
    if (a.status < 200 || a.status >= 300) {
      const errors = Array.isArray(parsed.errors) ? parsed.errors.join("; ") : "";
      throw new Error(`OpenBao ${method} ${path}: ${a.status} ${errors.slice(0, 200)}`);
    }
    return parsed;
  }

  close(): void {
    this.agent.destroy();
  }
}
