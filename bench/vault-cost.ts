// What Vault spends per delivered value: OpenBao's own CPU (utime + stime from /proc) over N kv
// values delivered through the plugin, against N plain reads of the same secret with one fixed
// token (the lowest possible cost of a value) and against the previous design (a one-use task
// token created per value, then the read). Interleaved rounds, medians of the per-round ratios.
import type { Ground } from "../test/ground/ground.js";
import { cpuMs } from "../test/helpers/procs.js";
import { must } from "../test/helpers/vault.js";
import { median } from "./stats.js";
import { BENCH_SERVICE, KV_FIELD, KV_SECRET, type Sides, TOKEN_ROLE, viaPlugin } from "./workload.js";

export interface VaultCost {
  requests: number;
  rounds: number;
  /** OpenBao CPU ms per value, medians over rounds. */
  pluginKvMs: number;
  plainReadMs: number;
  perValueTokenMs: number;
  /** pluginKvMs / plainReadMs, median of the rounds' ratios. */
  ratio: number;
  perValueTokenRatio: number;
}

async function timedBao(pid: number, n: number, one: () => Promise<void>, concurrency = 8): Promise<number> {
  const before = cpuMs(pid);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) await one();
    }),
  );
  return (cpuMs(pid) - before) / n;
}

export async function measureVaultCost(
  g: Ground,
  s: Sides,
  o: { requests: number; rounds: number; log: (m: string) => void },
): Promise<VaultCost> {
  const pid = g.state.bao.pid;
  const policy = `swarm-${BENCH_SERVICE}`;
  // The lowest cost: one long-lived token of the service's policy, reading.
  const fixed = (
    (await must(g, "POST", "auth/token/create", { policies: [policy], ttl: "1h", no_default_policy: true }))
      .auth as {
      client_token: string;
    }
  ).client_token;
  const read = async (token: string) => {
    const res = await s.direct.call("GET", `secret/data/${KV_SECRET}`, token);
    const data = (res.data as { data?: Record<string, unknown> } | null)?.data ?? {};
    if (data[KV_FIELD] !== s.expected) throw new Error("the plain read did not return the stored value");
  };
  const sides: Record<"plugin" | "plain" | "perValue", () => Promise<void>> = {
    plugin: () => viaPlugin(s, "kv"),
    plain: () => read(fixed),
    perValue: async () => {
      const res = await s.direct.call("POST", `auth/token/create/${TOKEN_ROLE}`, s.bootstrapToken, {
        policies: [policy],
        ttl: "60s",
        num_uses: 1,
        meta: { service: BENCH_SERVICE },
      });
      await read(String((res.auth as { client_token?: string } | null)?.client_token ?? ""));
    },
  };
  const per: Record<keyof typeof sides, number[]> = { plugin: [], plain: [], perValue: [] };
  for (let round = 0; round < o.rounds; round++) {
    // Each round starts with another side, so a drift over time does not favour one.
    const order = Object.keys(sides) as (keyof typeof sides)[];
    for (let i = 0; i < order.length; i++) {
      const k = order[(i + round) % order.length]!;
      per[k].push(await timedBao(pid, o.requests, sides[k]));
    }
    o.log(
      `round ${round + 1}: OpenBao CPU per value: plugin kv ${per.plugin.at(-1)!.toFixed(3)} ms, plain read ${per.plain.at(-1)!.toFixed(3)} ms, token per value ${per.perValue.at(-1)!.toFixed(3)} ms`,
    );
  }
  await must(g, "POST", "auth/token/revoke", { token: fixed });
  const ratios = per.plugin.map((v, i) => v / per.plain[i]!);
  const oldRatios = per.perValue.map((v, i) => v / per.plain[i]!);
  return {
    requests: o.requests,
    rounds: o.rounds,
    pluginKvMs: median(per.plugin),
    plainReadMs: median(per.plain),
    perValueTokenMs: median(per.perValue),
    ratio: median(ratios),
    perValueTokenRatio: median(oldRatios),
  };
}
