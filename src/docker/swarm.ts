// Engine and swarm facts used by preflight and status.
import { dockerApi, type Engine } from "./engine.js";

export interface EngineFacts {
  serverVersion: string;
  experimental: boolean;
  swarmState: string;
  isManager: boolean;
  nodeId: string;
  managers: { id: string; hostname: string; state: string; addr: string; engineVersion: string }[];
}

export async function engineFacts(engine: Engine): Promise<EngineFacts> {
  const info = (await dockerApi(engine).info()) as {
    ServerVersion: string;
    ExperimentalBuild: boolean;
    Swarm: { LocalNodeState: string; ControlAvailable: boolean; NodeID: string };
  };
  const facts: EngineFacts = {
    serverVersion: info.ServerVersion,
    experimental: info.ExperimentalBuild,
    swarmState: info.Swarm.LocalNodeState,
    isManager: info.Swarm.ControlAvailable,
    nodeId: info.Swarm.NodeID,
    managers: [],
  };
  if (facts.isManager) {
    const nodes = (await dockerApi(engine).listNodes({
      filters: JSON.stringify({ role: ["manager"] }),
    })) as unknown as {
      ID: string;
      Description: { Hostname: string; Engine?: { EngineVersion?: string } };
      Status: { State: string; Addr?: string };
    }[];
    facts.managers = nodes.map((n) => ({
      id: n.ID,
      hostname: n.Description.Hostname,
      state: n.Status.State,
      addr: n.Status.Addr ?? "",
      engineVersion: n.Description.Engine?.EngineVersion ?? "",
    }));
  }
  return facts;
}
