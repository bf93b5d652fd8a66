// The installer's per-node report: one Swarm config per node, labels only, updated in place.
import { OBJECT_LABELS } from "../../common/contract.js";
import { type InstallReport, parseReport, reportLabels, reportName } from "../../common/installer.js";
import type { EngineApi } from "./engine-api.js";

interface RawConfig {
  ID: string;
  Version: { Index: number };
  Spec: { Name: string; Labels?: Record<string, string> };
}

export class ReportStore {
  constructor(
    private readonly api: EngineApi,
    private readonly deployment: string,
  ) {}

  async identity(): Promise<{ nodeId: string; hostname: string }> {
    const info = await this.api.json<{ Name?: string; Swarm?: { NodeID?: string } }>("GET", "/info");
    const nodeId = info.Swarm?.NodeID ?? "";
    if (!nodeId) throw new Error("this node is not part of a swarm");
    return { nodeId, hostname: info.Name ?? "" };
  }

  private async current(nodeId: string): Promise<RawConfig | undefined> {
    const name = reportName(this.deployment, nodeId);
    const found = await this.api.json<RawConfig[]>("GET", "/configs", {
      query: {
        filters: JSON.stringify({
          name: [name],
          label: [`${OBJECT_LABELS.managedBy}=${this.deployment}`, `${OBJECT_LABELS.role}=install-report`],
        }),
      },
    });
    return found.find((c) => parseReport(this.deployment, c.Spec.Name, c.Spec.Labels ?? {}));
  }

  async save(report: InstallReport): Promise<void> {
    const spec = {
      Name: reportName(this.deployment, report.nodeId),
      Labels: reportLabels(this.deployment, report),
    };
    const existing = await this.current(report.nodeId);
    if (existing) {
      // Only labels may change on a config; Data stays out of the update.
      await this.api.request("POST", `/configs/${existing.ID}/update`, {
        query: { version: String(existing.Version.Index) },
        body: spec,
      });
    } else {
      await this.api.request("POST", "/configs/create", {
        body: { ...spec, Data: Buffer.from("vsp install report (in the labels)").toString("base64") },
      });
    }
  }
}
