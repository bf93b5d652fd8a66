// The rollout port on the Docker API, typed by the few dockerode methods it calls (structurally,
// so `common/` stays free of dependencies and the CLI and the plugin share this one adapter).
import type { PortSecret, PortService, PortTask, RolloutSwarm, ServiceSpec } from "./rollout.js";

interface ApiError {
  statusCode?: number;
  json?: { message?: string };
  message?: string;
}

export interface DockerApi {
  getService(id: string): { inspect(): Promise<unknown>; update(opts: object): Promise<unknown> };
  getSecret(id: string): { inspect(): Promise<unknown>; remove(): Promise<unknown> };
  listSecrets(opts: object): Promise<unknown[]>;
  createSecret(spec: object): Promise<unknown>;
  listTasks(opts: object): Promise<unknown[]>;
}

interface RawService {
  ID: string;
  Version: { Index: number };
  Spec: ServiceSpec;
  UpdateStatus?: { State?: string; Message?: string };
}
interface RawSecret {
  ID: string;
  Spec: { Name: string; Labels?: Record<string, string> | null; Driver?: { Name: string } | null };
}
interface RawTask {
  ID: string;
  DesiredState: string;
  Status: { State: string };
  Spec: { ContainerSpec?: { Secrets?: { SecretID: string }[] } };
}

const notFound = (err: unknown) => (err as ApiError).statusCode === 404;

function toSecret(s: RawSecret): PortSecret {
  return { id: s.ID, name: s.Spec.Name, driver: s.Spec.Driver?.Name, labels: s.Spec.Labels ?? {} };
}

export function dockerRolloutSwarm(docker: DockerApi): RolloutSwarm {
  return {
    async service(idOrName) {
      try {
        const s = (await docker.getService(idOrName).inspect()) as RawService;
        const svc: PortService = { id: s.ID, name: s.Spec.Name, version: s.Version.Index, spec: s.Spec };
        if (s.UpdateStatus)
          svc.updateStatus = { state: s.UpdateStatus.State, message: s.UpdateStatus.Message };
        return svc;
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    },
    async updateService(id, version, spec) {
      await docker.getService(id).update({ ...spec, version });
    },
    async secret(id) {
      try {
        return toSecret((await docker.getSecret(id).inspect()) as RawSecret);
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    },
    async secretNamed(name) {
      const list = (await docker.listSecrets({ filters: JSON.stringify({ name: [name] }) })) as RawSecret[];
      const exact = list.find((s) => s.Spec.Name === name);
      return exact ? toSecret(exact) : undefined;
    },
    async createDriverSecret(name, driver, labels) {
      const res = (await docker.createSecret({ Name: name, Labels: labels, Driver: { Name: driver } })) as {
        id?: string;
        ID?: string;
      };
      return (res.id ?? res.ID)!;
    },
    async removeSecret(id) {
      try {
        await docker.getSecret(id).remove();
        return "removed";
      } catch (err) {
        if (notFound(err)) return "gone";
        if (/in use/i.test(String((err as ApiError).json?.message ?? (err as ApiError).message)))
          return "in-use";
        throw err;
      }
    },
    async tasks(serviceId): Promise<PortTask[]> {
      const raw = (await docker.listTasks({
        filters: JSON.stringify({ service: [serviceId] }),
      })) as RawTask[];
      return raw.map((t) => ({
        id: t.ID,
        desiredState: t.DesiredState,
        state: t.Status.State,
        secretIds: (t.Spec.ContainerSpec?.Secrets ?? []).map((s) => s.SecretID),
      }));
    },
  };
}
