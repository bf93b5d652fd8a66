// Protocol layer: the plugin's HTTP API on its unix socket. Knows routes and bodies, not Vault.
import fs from "node:fs";
import http from "node:http";
import type { GetSecretRequest, GetSecretResponse } from "../common/contract.js";
import { CodecError, decodeGetSecret, encodeError } from "./codec.js";

export const MAX_BODY_BYTES = 64 * 1024;
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;
const CONTENT_TYPE = "application/vnd.docker.plugins.v1+json";

export type GetSecretHandler = (
  req: GetSecretRequest,
) => Promise<{ status: number; body: GetSecretResponse }>;
export type BadRequestHook = (reason: string) => void;

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": CONTENT_TYPE, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Past the limit the rest is read and dropped, so the client gets its answer instead of a
    // broken pipe; a sender that goes on far beyond it is cut off.
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > DRAIN_LIMIT_BYTES) req.destroy();
    });
    req.on("end", () =>
      size > MAX_BODY_BYTES
        ? reject(new CodecError(`request body over ${MAX_BODY_BYTES} bytes`))
        : resolve(Buffer.concat(chunks)),
    );
    req.on("close", () => {
      if (size > DRAIN_LIMIT_BYTES) reject(new CodecError(`request body over ${MAX_BODY_BYTES} bytes`));
    });
    req.on("error", reject);
  });
}

export function createPluginServer(handler: GetSecretHandler, onBadRequest: BadRequestHook): http.Server {
  return http.createServer(async (req, res) => {
    try {
      if (req.method !== "POST")
        return send(res, 405, encodeError(`method ${req.method} not allowed; use POST`));
      if (req.url === "/Plugin.Activate") {
        await readBody(req).catch(() => Buffer.alloc(0));
        return send(res, 200, { Implements: ["secretprovider"] });
      }
      if (req.url !== "/SecretProvider.GetSecret") {
        return send(res, 404, encodeError(`vsp: unknown endpoint ${String(req.url).slice(0, 100)}`));
      }
      const body = await readBody(req);
      const decoded = decodeGetSecret(body);
      const answer = await handler(decoded);
      send(res, answer.status, answer.body);
    } catch (err) {
      const reason = err instanceof CodecError ? err.message : "internal error while reading the request";
      onBadRequest(reason);
      const status = err instanceof CodecError && /over \d+ bytes/.test(reason) ? 413 : 400;
      if (!res.headersSent) {
        send(res, status, encodeError(`vsp: bad request: ${reason}`));
      }
    }
  });
}

export function listenUnix(server: http.Server, socketPath: string): Promise<void> {
  try {
    fs.unlinkSync(socketPath);
  } catch {
    // no stale socket
  }
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
