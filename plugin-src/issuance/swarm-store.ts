// The Swarm side of issuance tracking, through the plugin's Docker socket: records as configs,
// the state of tasks, and whether this node leads. The only issuance module importing dockerode.
import type Docker from "dockerode";
import { ISSUANCE_LABELS, OBJECT_LABELS } from "../../common/contract.js";
import { type IssuanceRecord, parseRecord, recordLabels, recordName } from "./record.js";

export interface IssuanceStore {
  /** The record of (task, secret), if any: one inspect by name. */
  find(task: string, secret: string): Promise<IssuanceRecord | undefined>;
  /** Records still live (the reaper's and the index's working set). */
  live(): Promise<IssuanceRecord[]>;
  /** Every record, ended ones too (for pruning). */
  all(): Promise<IssuanceRecord[]>;
  create(record: IssuanceRecord): Promise<void>;
  /** Rewrites a record's labels (state, reason); fails if it changed since it was read. */
  update(record: IssuanceRecord): Promise<void>;
  remove(record: IssuanceRecord): Promise<void>;
}

/** A task's state as the leader's store knows it; undefined: the task no longer exists. */
export interface TaskStatus {
  state: string;
  desiredState: string;
}

export interface ClusterView {
  isLeader(): Promise<boolean>;
  /** The tasks of these services, by task ID. */
  tasksOf(serviceIds: string[]): Promise<Map<string, TaskStatus>>;
}

interface RawConfig {
  ID: string;
  Version: { Index: number };
  Spec: { Name: string; Labels?: Record<string, string> };
}

export class SwarmIssuanceStore implements IssuanceStore {
  constructor(
    private readonly docker: Docker,
    private readonly deployment: string,
  ) {}

  private async list(extra: string[] = []): Promise<IssuanceRecord[]> {
    const raw = (await this.docker.listConfigs({
      filters: JSON.stringify({
        label: [`${OBJECT_LABELS.managedBy}=${this.deployment}`, `${OBJECT_LABELS.role}=issuance`, ...extra],
      }),
    })) as unknown as RawConfig[];
    const records: IssuanceRecord[] = [];
    for (const c of raw) {
      const r = parseRecord(this.deployment, c.Spec.Labels ?? {}, c.ID, c.Version.Index);
      if (r) records.push(r);
    }
    return records;
  }

  async find(task: string, secret: string): Promise<IssuanceRecord | undefined> {
    let c: RawConfig;
    try {
      c = (await this.docker
        .getConfig(recordName(this.deployment, task, secret))
        .inspect()) as unknown as RawConfig;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
    const r = parseRecord(this.deployment, c.Spec.Labels ?? {}, c.ID, c.Version.Index);
    return r && r.task === task && r.secret === secret ? r : undefined;
  }

  live(): Promise<IssuanceRecord[]> {
    return this.list([`${ISSUANCE_LABELS.state}=live`]);
  }

  all(): Promise<IssuanceRecord[]> {
    return this.list();
  }

  async create(record: IssuanceRecord): Promise<void> {
    await this.docker.createConfig({
      Name: recordName(this.deployment, record.task, record.secret),
      Labels: recordLabels(this.deployment, record),
      Data: Buffer.from("vsp issuance record (identifiers only, in the labels)").toString("base64"),
    });
  }

  async update(record: IssuanceRecord): Promise<void> {
    if (!record.id || record.version === undefined) throw new Error("record was not read from Swarm");
    await this.docker.getConfig(record.id).update({
      version: record.version,
      Name: recordName(this.deployment, record.task, record.secret),
      Labels: recordLabels(this.deployment, record),
    });
  }

  async remove(record: IssuanceRecord): Promise<void> {
    if (!record.id) return;
    try {
      await this.docker.getConfig(record.id).remove();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
  }
}

export class SwarmClusterView implements ClusterView {
  constructor(
    private readonly docker: Docker,
    private readonly nodeId: () => Promise<string>,
  ) {}

  async isLeader(): Promise<boolean> {
    const node = (await this.docker.getNode(await this.nodeId()).inspect()) as {
      ManagerStatus?: { Leader?: boolean };
    };
    return node.ManagerStatus?.Leader === true;
  }

  async tasksOf(serviceIds: string[]): Promise<Map<string, TaskStatus>> {
    const byId = new Map<string, TaskStatus>();
    // One query per service: the engine refuses a whole filter that names a removed service.
    for (const service of new Set(serviceIds)) {
      let tasks: { ID: string; DesiredState?: string; Status?: { State?: string } }[];
      try {
        tasks = (await this.docker.listTasks({
          filters: JSON.stringify({ service: [service] }),
        })) as unknown as typeof tasks;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) continue; // service gone: so are its tasks
        throw err;
      }
      for (const t of tasks) {
        byId.set(t.ID, { state: t.Status?.State ?? "unknown", desiredState: t.DesiredState ?? "unknown" });
      }
    }
    return byId;
  }
}
