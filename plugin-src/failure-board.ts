// Swarm shows users only "secret not found" for plugin errors. The plugin therefore keeps the
// recent failures per service and publishes them, at most every few seconds, as labels of a
// Swarm config of its own, which `vsp status` reads from any manager. Names and reasons only:
// error texts never hold a value or a token.
import type Docker from "dockerode";
import { FAILURES_LABEL, OBJECT_LABELS } from "../common/contract.js";
import type { LogFn } from "./log.js";

const MAX_SERVICES = 20;

export interface ServiceFailures {
  service: string;
  count: number;
  last: string;
  at: string;
}

export class FailureBoard {
  private readonly failures = new Map<string, ServiceFailures>();
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failedFlushes = 0;
  private stopped = false;

  constructor(
    private readonly docker: Docker,
    private readonly name: string,
    private readonly nodeId: () => Promise<string>,
    private readonly log: LogFn,
    private readonly flushMs = 3000,
  ) {}

  record(service: string, message: string): void {
    const entry = this.failures.get(service) ?? { service, count: 0, last: "", at: "" };
    entry.count++;
    entry.last = message.slice(0, 300);
    entry.at = new Date().toISOString();
    this.failures.delete(service);
    this.failures.set(service, entry);
    while (this.failures.size > MAX_SERVICES) this.failures.delete(this.failures.keys().next().value!);
    this.dirty = true;
    this.schedule(this.flushMs);
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    this.timer.unref();
  }

  /** One write at a time; what changes meanwhile, or a failed write, is written by a later one. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
      // A failed write backs off (the flush interval doubling, at most a minute).
      if (this.dirty) this.schedule(Math.min(60_000, this.flushMs * 2 ** this.failedFlushes));
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const labels = {
      [OBJECT_LABELS.managedBy]: this.name,
      [OBJECT_LABELS.role]: "plugin-status",
      [FAILURES_LABEL]: JSON.stringify([...this.failures.values()]),
    };
    try {
      const node = await this.nodeId();
      const configName = `${this.name}-plugin-status-${node.slice(0, 12)}`;
      const existing = (await this.docker.listConfigs({
        filters: JSON.stringify({ name: [configName] }),
      })) as unknown as {
        ID: string;
        Version: { Index: number };
        Spec: { Name: string };
      }[];
      const mine = existing.find((c) => c.Spec.Name === configName);
      if (!mine) {
        await this.docker.createConfig({
          Name: configName,
          Labels: labels,
          Data: Buffer.from("vsp plugin status").toString("base64"),
        });
      } else {
        await this.docker
          .getConfig(mine.ID)
          .update({ version: mine.Version.Index, Name: configName, Labels: labels });
      }
      if (this.failedFlushes > 0) this.log({ msg: "failures published again for vsp status" });
      this.failedFlushes = 0;
    } catch (err) {
      this.dirty = true;
      // The first failure of a run of them is logged; a success ends the run.
      if (this.failedFlushes++ === 0) {
        this.log({
          level: "warn",
          msg: "could not publish failures for vsp status; retrying",
          error: (err as Error).message.slice(0, 200),
        });
      }
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
