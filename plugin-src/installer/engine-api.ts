// The few Docker API calls the installer makes, over the node's socket: plain HTTP, every call
// with a deadline, errors carrying the engine's own message.
import http from "node:http";

export class EngineApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Call {
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** An empty registry credential: anonymous pulls (the engine wants the header on pull and upgrade). */
export const ANONYMOUS = { "X-Registry-Auth": Buffer.from("{}").toString("base64") };

export class EngineApi {
  constructor(
    private readonly socketPath: string,
    private readonly defaultTimeoutMs = 30_000,
  ) {}

  /** The response body as text; rejects on a status >= 300 with the engine's message. */
  request(method: string, path: string, c: Call = {}): Promise<string> {
    const query = c.query ? `?${new URLSearchParams(c.query).toString()}` : "";
    const payload = c.body === undefined ? undefined : JSON.stringify(c.body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          socketPath: this.socketPath,
          method,
          path: `${path}${query}`,
          headers: {
            ...(payload ? { "Content-Type": "application/json" } : {}),
            ...(c.headers ?? {}),
          },
          timeout: c.timeoutMs ?? this.defaultTimeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (b: Buffer) => {
            // Pull progress is small; anything this large is not an answer worth keeping.
            size += b.length;
            if (size <= 4 << 20) chunks.push(b);
          });
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 0;
            if (status >= 300) reject(new EngineApiError(status, engineMessage(text) || `HTTP ${status}`));
            else resolve(text);
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () =>
        req.destroy(
          new Error(
            `${method} ${path}: no answer from the engine within ${c.timeoutMs ?? this.defaultTimeoutMs} ms`,
          ),
        ),
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  async json<T>(method: string, path: string, c: Call = {}): Promise<T> {
    const text = await this.request(method, path, c);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A streamed operation (pull, upgrade): fails when any progress line carries an error. */
  async stream(method: string, path: string, c: Call = {}): Promise<void> {
    const text = await this.request(method, path, c);
    for (const line of text.split("\n")) {
      const failure = engineMessage(line);
      if (failure && /"error/.test(line)) throw new EngineApiError(200, failure);
    }
  }
}

/** The message of an engine error body ({"message"} or a progress line's {"error"}), or "". */
export function engineMessage(text: string): string {
  try {
    const o = JSON.parse(text) as { message?: unknown; error?: unknown; errorDetail?: { message?: unknown } };
    const m = o.errorDetail?.message ?? o.error ?? o.message;
    return typeof m === "string" ? m.slice(0, 400) : "";
  } catch {
    return text.trim().slice(0, 200);
  }
}
