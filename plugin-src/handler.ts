// Glue between the protocol layer and the provider: repeat memory, error text, one log line per request.
import type { GetSecretRequest, GetSecretResponse } from "../common/contract.js";
import { LABEL_PREFIX, LEGACY_LABEL_PREFIX } from "../common/contract.js";
import { printable } from "../common/printable.js";
import { LabelError } from "../common/secret-labels.js";
import { encodeError, encodeValue } from "./codec.js";
import { Deadline } from "./deadline.js";
import { ProviderError } from "./errors.js";
import type { LogFn } from "./log.js";
import type { Issued, SecretProvider } from "./provider.js";
import { RepeatCache } from "./repeat-cache.js";

export interface HandlerOptions {
  repeatTtlMs: number;
  /** One deadline per request; past it the task gets an error and what was minted is revoked. */
  deadlineMs?: number;
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
    const deadline = new Deadline(opts.deadlineMs ?? 20_000);
    try {
      // Reads are aborted at the deadline and the provider revokes what it minted before it
      // answers; a mint or write still in flight a little later is not waited for: the task gets
      // its error, and the provider revokes the late credential when it arrives.
      const run = () => Promise.race([provider.getSecret(req, deadline), rejectAfter(deadline)]);
      const { value, repeat } =
        req.TaskID && opts.repeatTtlMs > 0
          ? await repeats.getOrIssue(`${req.TaskID}\u0000${req.SecretName ?? ""}`, run, (v) =>
              // Only credentials are remembered: memory stays flat under a stream of kv reads.
              !v.credential ? 0 : v.validSeconds ? v.validSeconds * 1000 : undefined,
            )
          : { value: await run(), repeat: false };
      if (opts.logSuccess !== false) {
        log({ ...base, outcome: repeat ? "repeat" : "ok", ms: round(started), accessor: value.accessor });
      }
      return { status: 200, body: encodeValue(value.value) };
    } catch (caught) {
      const err = caught instanceof LabelError ? new ProviderError(caught.message, "input") : caught;
      const reason = err instanceof ProviderError ? err.message : "internal error (see the plugin log)";
      const message = `vsp: secret "${printable(req.SecretName ?? "?")}" for service "${printable(req.ServiceName ?? "?")}": ${reason}`;
      if (err instanceof ProviderError && err.kind === "already-issued") {
        // Expected after a leader change: the task runs with its value; not a failure.
        if (opts.logSuccess !== false) log({ ...base, outcome: "already-issued", ms: round(started) });
        return { status: 500, body: encodeError(message) };
      }
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
    } finally {
      deadline.done();
    }
  };
}

function rejectAfter(deadline: Deadline): Promise<never> {
  const graceMs = Math.min(2000, deadline.ms / 4);
  return new Promise((_, reject) => {
    const fire = () => setTimeout(() => reject(deadline.error()), graceMs).unref();
    if (deadline.expired) fire();
    else deadline.signal.addEventListener("abort", fire, { once: true });
  });
}

function labelsType(req: GetSecretRequest): string {
  const labels = req.SecretLabels ?? {};
  return labels[`${LABEL_PREFIX}type`] ?? labels[`${LEGACY_LABEL_PREFIX}type`] ?? "kv";
}

function round(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
