// The services that opted into rollover, as the refresher needs them, through the Docker socket.
import type Docker from "dockerode";
import { REFRESH_LABEL } from "../../common/refresh-modes.js";
import type { RefreshSwarm, ServiceView } from "./refresher.js";

interface RawService {
  ID: string;
  CreatedAt: string;
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    TaskTemplate?: { ContainerSpec?: { Secrets?: { SecretID: string }[] } };
  };
  UpdateStatus?: { State?: string };
}

export class DockerRefreshSwarm implements RefreshSwarm {
  constructor(
    private readonly docker: Docker,
    private readonly driver: string,
  ) {}

  async optedIn(): Promise<ServiceView[]> {
    const raw = (await this.docker.listServices({
      filters: JSON.stringify({ label: [REFRESH_LABEL] }),
    })) as unknown as RawService[];
    const secrets = new Map<
      string,
      { name: string; driver?: string; labels: Record<string, string> } | null
    >();
    const out: ServiceView[] = [];
    for (const s of raw) {
      const mine: ServiceView["secrets"] = [];
      for (const ref of s.Spec.TaskTemplate?.ContainerSpec?.Secrets ?? []) {
        if (!secrets.has(ref.SecretID)) {
          try {
            const x = (await this.docker.getSecret(ref.SecretID).inspect()) as {
              Spec: { Name: string; Labels?: Record<string, string>; Driver?: { Name: string } };
            };
            secrets.set(ref.SecretID, {
              name: x.Spec.Name,
              driver: x.Spec.Driver?.Name,
              labels: x.Spec.Labels ?? {},
            });
          } catch {
            secrets.set(ref.SecretID, null);
          }
        }
        const secret = secrets.get(ref.SecretID);
        if (secret && secret.driver === this.driver && !mine.some((m) => m.name === secret.name))
          mine.push({ name: secret.name, labels: secret.labels });
      }
      const tasks = (await this.docker.listTasks({
        filters: JSON.stringify({ service: [s.ID], "desired-state": ["running"] }),
      })) as unknown as { ID: string; Status?: { State?: string } }[];
      out.push({
        id: s.ID,
        name: s.Spec.Name,
        createdAt: s.CreatedAt,
        labels: s.Spec.Labels ?? {},
        rolling: s.UpdateStatus?.State === "updating" || s.UpdateStatus?.State === "rollback_started",
        runningTaskIds: new Set(tasks.filter((t) => t.Status?.State === "running").map((t) => t.ID)),
        secrets: mine,
      });
    }
    return out;
  }
}
