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
  private warned = false;

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
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  async flush(): Promise<void> {
    this.timer = undefined;
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
      } as never)) as unknown as {
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
        } as never);
      } else {
        await this.docker
          .getConfig(mine.ID)
          .update({ version: mine.Version.Index, Name: configName, Labels: labels } as never);
      }
    } catch (err) {
      this.dirty = true;
      if (!this.warned) {
        this.warned = true;
        this.log({
          level: "warn",
          msg: "could not publish failures for vsp status",
          error: (err as Error).message.slice(0, 200),
        });
      }
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
