// Glue between the protocol layer and the provider: repeat memory, error text, one log line per request.
import type { GetSecretRequest, GetSecretResponse } from "../common/contract.js";
import { LABEL_PREFIX, LEGACY_LABEL_PREFIX } from "../common/contract.js";
import { encodeError, encodeValue } from "./codec.js";
import { printable } from "./durations.js";
import { ProviderError } from "./errors.js";
import type { LogFn } from "./log.js";
import type { Issued, SecretProvider } from "./provider.js";
import { RepeatCache } from "./repeat-cache.js";

export interface HandlerOptions {
  repeatTtlMs: number;
  maxRemembered?: number;
  onFailure?: (service: string, message: string) => void;
  /** false: only failures get a log line (VSP_LOG_LEVEL=warn). */
  logSuccess?: boolean;
}

export function createGetSecretHandler(
  provider: Pick<SecretProvider, "getSecret">,
  log: LogFn,
  opts: HandlerOptions,
) {
  const repeats = new RepeatCache<Issued>(opts.repeatTtlMs, opts.maxRemembered ?? 10_000);
  setInterval(() => repeats.sweep(), 5_000).unref();

  return async (req: GetSecretRequest): Promise<{ status: number; body: GetSecretResponse }> => {
    const started = performance.now();
    const base = {
      msg: "GetSecret",
      secret: req.SecretName,
      service: req.ServiceName,
      task: req.TaskName,
      task_id: req.TaskID,
      type: printable(labelsType(req), 20),
    };
    try {
      const run = () => provider.getSecret(req);
      const { value, repeat } =
        req.TaskID && opts.repeatTtlMs > 0
          ? await repeats.getOrIssue(`${req.TaskID}\u0000${req.SecretName ?? ""}`, run, (v) =>
              v.validSeconds === undefined ? undefined : v.validSeconds * 1000,
            )
          : { value: await run(), repeat: false };
      if (opts.logSuccess !== false) {
        log({ ...base, outcome: repeat ? "repeat" : "ok", ms: round(started), accessor: value.accessor });
      }
      return { status: 200, body: encodeValue(value.value) };
    } catch (err) {
      const reason = err instanceof ProviderError ? err.message : "internal error (see the plugin log)";
      const message = `vsp: secret "${printable(req.SecretName ?? "?")}" for service "${printable(req.ServiceName ?? "?")}": ${reason}`;
      log({
        ...base,
        level: "error",
        outcome: "error",
        kind: err instanceof ProviderError ? err.kind : "internal",
        ms: round(started),
        error: message,
        // An unexpected error is a bug: its class and message (never a value: values are not
        // part of messages) help find it; the task only gets the generic reason.
        ...(err instanceof ProviderError
          ? {}
          : {
              detail: `${(err as Error)?.name ?? "Error"}: ${String((err as Error)?.message ?? err).slice(0, 200)}`,
            }),
      });
      opts.onFailure?.(req.ServiceName ?? "?", message);
      return { status: 500, body: encodeError(message) };
    }
  };
}

function labelsType(req: GetSecretRequest): string {
  const labels = req.SecretLabels ?? {};
  return labels[`${LABEL_PREFIX}type`] ?? labels[`${LEGACY_LABEL_PREFIX}type`] ?? "kv";
}

function round(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
