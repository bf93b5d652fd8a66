// The readable table: every figure with its goal and a mark (PASS / FALLS SHORT, or "report" where
// the issue sets no goal).
import type { AuditResult } from "./audit.js";
import type { CliTimes } from "./cli-times.js";
import type { Failover } from "./failover.js";
import type { Footprint } from "./footprint.js";
import type { OverheadCell } from "./overhead.js";
import type { ScaleRow } from "./scale.js";
import type { VaultCost } from "./vault-cost.js";

export type Mark = "PASS" | "FALLS SHORT" | "report" | "ERROR";

export interface Verdict {
  section: string;
  figure: string;
  value: string;
  goal: string;
  mark: Mark;
}

export interface BenchResults {
  startedAt: string;
  totalMs?: number;
  machine: {
    cpus: number;
    node: string;
    loadavgStart: number[];
    loadavgEnd?: number[];
    otherDockerds: number;
  };
  settings: Record<string, unknown>;
  groundStartMs?: number;
  deployMs?: number;
  overhead?: OverheadCell[];
  vaultCost?: VaultCost;
  audit?: AuditResult;
  footprint?: Footprint;
  scale?: ScaleRow[];
  cli?: CliTimes;
  failover?: Failover;
  errors: Record<string, string>;
  /** For a failed measurement: the plugin's last error/warn log lines. */
  diagnostics: Record<string, string[]>;
  teardown?: { processes: string[]; mounts: string[]; paths: string[] };
  verdicts?: Verdict[];
}

const GOALS = {
  vaultCostRatio: 1.5,
  p50Ratio: 1.15,
  rpsRatio: 0.9,
  scaleRatio: 1.2,
  rssGrowth: 0.1,
  shareBytes: 10e6,
  statusMs: 1500,
  deployMs: 10_000,
  kvCalls: 2,
  tokenCalls: 1,
  failoverGapMs: 2000,
};

const mark = (ok: boolean): Mark => (ok ? "PASS" : "FALLS SHORT");
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
const secs = (v: number) => `${(v / 1000).toFixed(2)} s`;

function table(header: string[], rows: string[][], rightAlign: Set<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAlign.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function verdicts(r: BenchResults): Verdict[] {
  const v: Verdict[] = [];
  const vc = r.vaultCost;
  if (vc) {
    v.push({
      section: "vault cost",
      figure: "OpenBao CPU per kv value / plain read",
      value: `×${vc.ratio.toFixed(2)} (${ms(vc.pluginKvMs)} vs ${ms(vc.plainReadMs)} ms)`,
      goal: `≤ ${GOALS.vaultCostRatio}`,
      mark: mark(vc.ratio <= GOALS.vaultCostRatio),
    });
    v.push({
      section: "vault cost",
      figure: "same, a task token per value (before)",
      value: `×${vc.perValueTokenRatio.toFixed(2)} (${ms(vc.perValueTokenMs)} ms)`,
      goal: "—",
      mark: "report",
    });
  }
  // The goals are for kv (one Vault read either way): p50 at concurrency 1, throughput at
  // 8 and 32. kv+wrap and token are reported: the plugin also records each credential in Swarm
  // (issued once, revoked at the task's end), which the direct side does not.
  for (const c of r.overhead ?? []) {
    const name = `${c.kind} c=${c.concurrency}`;
    const p50Goal = c.kind === "kv" && c.concurrency === 1;
    const rpsGoal = c.kind === "kv" && c.concurrency >= 8;
    v.push({
      section: "overhead",
      figure: `${name} p50 plugin/direct`,
      value: `×${c.p50Ratio.toFixed(2)}`,
      goal: p50Goal ? `≤ ${GOALS.p50Ratio}` : "—",
      mark: p50Goal ? mark(c.p50Ratio <= GOALS.p50Ratio && c.plugin.errors === 0) : "report",
    });
    v.push({
      section: "overhead",
      figure: `${name} throughput plugin/direct`,
      value: `×${c.rpsRatio.toFixed(2)}`,
      goal: rpsGoal ? `≥ ${GOALS.rpsRatio}` : "—",
      mark: rpsGoal ? mark(c.rpsRatio >= GOALS.rpsRatio && c.plugin.errors === 0) : "report",
    });
  }
  const fo = r.failover;
  for (const h of fo?.byHeartbeat ?? []) {
    // The goal is marked with Swarm's default heartbeat, what a swarm has unless its operator changed it.
    const isDefault = h === fo?.byHeartbeat[0];
    v.push({
      section: "failover",
      figure: `election after a leader kill (median, heartbeat ${h.heartbeatS} s)`,
      value: secs(h.electionMedianMs),
      goal: "—",
      mark: "report",
    });
    v.push({
      section: "failover",
      figure: `first delivery − election (worst round, heartbeat ${h.heartbeatS} s)`,
      value: `+${secs(h.gapMaxMs)} (median +${secs(h.gapMedianMs)})`,
      goal: isDefault ? `≤ +${secs(GOALS.failoverGapMs)}` : "—",
      mark: isDefault ? mark(h.gapMaxMs <= GOALS.failoverGapMs) : "report",
    });
  }
  for (const row of r.scale ?? []) {
    const last = row.replicas === Math.max(...(r.scale ?? []).map((x) => x.replicas));
    v.push({
      section: "scale-out",
      figure: `R=${row.replicas} vsp/static`,
      value: `×${row.ratio.toFixed(2)}`,
      goal: last ? `≤ ${GOALS.scaleRatio}` : "— (goal at R=50)",
      mark: last ? mark(row.ratio <= GOALS.scaleRatio) : "report",
    });
  }
  const f = r.footprint;
  if (f) {
    v.push({
      section: "footprint",
      figure: "cold start (kill → first answer)",
      value: `${ms(f.coldStartMedianMs)} ms`,
      goal: "—",
      mark: "report",
    });
    v.push({
      section: "footprint",
      figure: `RSS growth after ${f.loadRequests} kv requests`,
      value: `${(f.rssGrowth * 100).toFixed(0)} %`,
      goal: `≤ ${GOALS.rssGrowth * 100} %`,
      mark: mark(f.rssGrowth <= GOALS.rssGrowth && f.loadErrors === 0),
    });
    if (f.floor)
      v.push({
        section: "footprint",
        figure: `floor proxy RSS growth after ${f.loadRequests} kv requests`,
        value: `${(f.floor.growth * 100).toFixed(0)} %`,
        goal: "—",
        mark: "report",
      });
    v.push({
      section: "footprint",
      figure: "vsp's share of the plugin rootfs",
      value: mb(f.vspShareBytes),
      goal: `≤ ${mb(GOALS.shareBytes)}`,
      mark: mark(f.vspShareBytes <= GOALS.shareBytes),
    });
  }
  const c = r.cli;
  if (c) {
    v.push({
      section: "cli",
      figure: "vsp status",
      value: secs(c.statusMedianMs),
      goal: `≤ ${secs(GOALS.statusMs)}`,
      mark: mark(c.statusMedianMs <= GOALS.statusMs),
    });
    v.push({
      section: "cli",
      figure: "vsp deploy, no change",
      value: secs(c.deployMedianMs),
      goal: `≤ ${secs(GOALS.deployMs)}`,
      mark: mark(c.deployMedianMs <= GOALS.deployMs),
    });
    v.push({
      section: "cli",
      figure: "vsp bootstrap-token rotate",
      value: secs(c.rotateMs),
      goal: "—",
      mark: "report",
    });
  }
  for (const a of r.audit?.counts ?? []) {
    const goal = a.kind === "kv" ? GOALS.kvCalls : a.kind === "token" ? GOALS.tokenCalls : undefined;
    v.push({
      section: "vault calls",
      figure: `${a.kind} calls per request`,
      value: a.callsPerRequest.toFixed(2),
      goal: goal === undefined ? "— (2 expected)" : a.kind === "token" ? `= ${goal}` : `≤ ${goal}`,
      mark:
        goal === undefined
          ? "report"
          : mark(a.kind === "token" ? a.callsPerRequest === goal : a.callsPerRequest <= goal),
    });
  }
  for (const [section, message] of Object.entries(r.errors))
    v.push({ section, figure: "measurement failed", value: message.slice(0, 80), goal: "—", mark: "ERROR" });
  return v;
}

export function render(r: BenchResults): string {
  const out: string[] = [];
  const n = r.machine;
  out.push(
    `vsp bench — ${r.startedAt}, ${n.cpus} CPUs, node ${n.node}, load ${n.loadavgStart.map((x) => x.toFixed(2)).join(" ")}` +
      (n.otherDockerds ? `, ${n.otherDockerds} other dockerd(s) running on the machine` : ""),
  );
  out.push(
    `ground up in ${secs(r.groundStartMs ?? 0)}, vsp deploy ${secs(r.deployMs ?? 0)}, whole run ${secs(r.totalMs ?? 0)}`,
  );
  const verdictOf = (section: string, figure: string) =>
    r.verdicts?.find((x) => x.section === section && x.figure === figure);

  const vc = r.vaultCost;
  if (vc) {
    out.push(
      `\n0. What OpenBao spends per delivered kv value (its CPU from /proc), ${vc.requests} values per side in ${vc.rounds} rotating rounds`,
    );
    out.push(
      table(
        ["side", "OpenBao CPU per value", "× plain read"],
        [
          ["plain read with one fixed token (lowest possible)", `${ms(vc.plainReadMs)} ms`, "1.00"],
          ["vsp plugin kv (cached batch read token)", `${ms(vc.pluginKvMs)} ms`, vc.ratio.toFixed(2)],
          [
            "a task token per value, then the read (before)",
            `${ms(vc.perValueTokenMs)} ms`,
            vc.perValueTokenRatio.toFixed(2),
          ],
        ],
        new Set([1, 2]),
      ),
    );
  }

  if (r.overhead?.length) {
    const s = r.settings.overhead as { requests: number; rounds: number };
    out.push(
      `\n1. Plugin overhead: GetSecret on the plugin's socket vs the same Vault calls direct (keep-alive both), ` +
        `${s.requests} requests per side per cell in ${s.rounds} alternating rounds; latency in ms`,
    );
    out.push(
      table(
        [
          "kind",
          "conc",
          "plugin p50/p95/p99",
          "direct p50/p95/p99",
          "p50 ×",
          "p95 ×",
          "p99 ×",
          "goal",
          "mark",
          "plugin/direct req/s",
          "req/s ×",
          "goal",
          "mark",
        ],
        r.overhead.map((c) => {
          const name = `${c.kind} c=${c.concurrency}`;
          return [
            c.kind,
            String(c.concurrency),
            `${ms(c.plugin.p50)} / ${ms(c.plugin.p95)} / ${ms(c.plugin.p99)}`,
            `${ms(c.direct.p50)} / ${ms(c.direct.p95)} / ${ms(c.direct.p99)}`,
            c.p50Ratio.toFixed(2),
            c.p95Ratio.toFixed(2),
            c.p99Ratio.toFixed(2),
            verdictOf("overhead", `${name} p50 plugin/direct`)?.goal ?? "",
            verdictOf("overhead", `${name} p50 plugin/direct`)?.mark ?? "",
            `${c.plugin.rps.toFixed(0)} / ${c.direct.rps.toFixed(0)}`,
            c.rpsRatio.toFixed(2),
            verdictOf("overhead", `${name} throughput plugin/direct`)?.goal ?? "",
            verdictOf("overhead", `${name} throughput plugin/direct`)?.mark ?? "",
          ];
        }),
        new Set([1, 2, 3, 4, 5, 6, 9, 10]),
      ),
    );
    const errs = r.overhead.filter((c) => c.plugin.errors || c.direct.errors);
    for (const c of errs)
      out.push(
        `  errors in ${c.kind} c=${c.concurrency}: plugin ${c.plugin.errors}, direct ${c.direct.errors} (${c.plugin.firstError ?? c.direct.firstError})`,
      );
    out.push("\n   CPU per request (ms) while each side ran — where the plugin path spends it:");
    const cpu = (side: Record<string, number>, k: string) => (side[k] ?? 0).toFixed(2);
    out.push(
      table(
        [
          "kind",
          "conc",
          "plugin",
          "shim+dockerd+containerd",
          "OpenBao (plugin/direct)",
          "bench client (plugin/direct)",
        ],
        r.overhead.map((c) => {
          const p = c.plugin.cpuMsPerRequest;
          const d = c.direct.cpuMsPerRequest;
          const engine = (x: Record<string, number>) =>
            ((x["plugin shim"] ?? 0) + (x.dockerd ?? 0) + (x.containerd ?? 0)).toFixed(2);
          return [
            c.kind,
            String(c.concurrency),
            cpu(p, "plugin"),
            `${engine(p)} / ${engine(d)}`,
            `${cpu(p, "OpenBao")} / ${cpu(d, "OpenBao")}`,
            `${cpu(p, "bench client")} / ${cpu(d, "bench client")}`,
          ];
        }),
        new Set([1, 2, 3, 4, 5]),
      ),
    );
  }

  if (r.scale?.length) {
    out.push(
      "\n2. Scale-out: service create → all R tasks running (engine timestamps), vsp kv secret vs static secret, alternating",
    );
    out.push(
      table(
        ["R", "vsp ms (runs)", "static ms (runs)", "vsp median", "static median", "ratio", "goal", "mark"],
        r.scale.map((row) => {
          const v = verdictOf("scale-out", `R=${row.replicas} vsp/static`);
          return [
            String(row.replicas),
            row.vspMs.join(" / "),
            row.staticMs.join(" / "),
            ms(row.vspMedianMs),
            ms(row.staticMedianMs),
            row.ratio.toFixed(2),
            v?.goal ?? "",
            v?.mark ?? "",
          ];
        }),
        new Set([0, 3, 4, 5]),
      ),
    );
  }

  const f = r.footprint;
  if (f) {
    out.push("\n3. Footprint");
    out.push(
      table(
        ["figure", "value", "goal", "mark"],
        [
          [
            `cold start: SIGKILL of the plugin process → engine restarts it → first kv answer (median of ${f.coldStarts.length})`,
            `${ms(f.coldStartMedianMs)} ms (runs ${f.coldStarts.map((c) => ms(c.firstAnswerMs)).join("/")}; new process after ${f.coldStarts.map((c) => ms(c.processMs)).join("/")} ms)`,
            "—",
            "report",
          ],
          [
            "idle RSS of the plugin process (fresh start, 3 s after its first answer)",
            `${(f.idleRssKb / 1024).toFixed(1)} MiB`,
            "—",
            "report",
          ],
          [
            `RSS after ${f.loadRequests} kv requests at concurrency ${f.loadConcurrency} (${f.loadRps.toFixed(0)} req/s, ${f.loadErrors} errors)`,
            `${(f.afterLoadRssKb / 1024).toFixed(1)} MiB (peak ${(f.peakRssKb / 1024).toFixed(1)}), growth ${(f.rssGrowth * 100).toFixed(0)} %`,
            `growth ≤ ${GOALS.rssGrowth * 100} %`,
            verdictOf("footprint", `RSS growth after ${f.loadRequests} kv requests`)?.mark ?? "",
          ],
          ...(f.floor
            ? [
                [
                  `the floor proxy (Node's http + vsp's Vault client, fresh), the same load (${f.floor.rps.toFixed(0)} req/s, ${f.floor.errors} errors)`,
                  `${(f.floor.idleRssKb / 1024).toFixed(1)} → ${(f.floor.afterLoadRssKb / 1024).toFixed(1)} MiB, growth ${(f.floor.growth * 100).toFixed(0)} %`,
                  "—",
                  "report",
                ],
              ]
            : []),
          [
            `vsp's share of the rootfs: ${f.pluginImage.ref.replace(/^[^/]+\//, "")} minus ${f.baseImage.ref}`,
            `${mb(f.vspShareBytes)} (${mb(f.pluginImage.bytes)} vs ${mb(f.baseImage.bytes)}; bundle ${mb(f.bundleBytes.plugin + f.bundleBytes.helper)})`,
            `≤ ${mb(GOALS.shareBytes)}`,
            verdictOf("footprint", "vsp's share of the plugin rootfs")?.mark ?? "",
          ],
        ],
      ),
    );
  }

  const c = r.cli;
  if (c) {
    out.push("\n4. CLI wall time (bin/vsp in a child process)");
    out.push(
      table(
        ["command", "runs (ms)", "value", "goal", "mark"],
        [
          [
            "vsp status",
            c.statusMs.join(" / "),
            `${secs(c.statusMedianMs)} (median)`,
            `≤ ${secs(GOALS.statusMs)}`,
            verdictOf("cli", "vsp status")?.mark ?? "",
          ],
          [
            "vsp deploy (re-run, nothing changed)",
            c.deployMs.join(" / "),
            `${secs(c.deployMedianMs)} (median)`,
            `≤ ${secs(GOALS.deployMs)}`,
            verdictOf("cli", "vsp deploy, no change")?.mark ?? "",
          ],
          [
            "vsp bootstrap-token rotate --grace 1s",
            String(c.rotateMs),
            secs(c.rotateMs),
            "— (no goal)",
            "report",
          ],
        ],
      ),
    );
  }

  const a = r.audit;
  if (a) {
    out.push(
      `\n5. Vault calls per GetSecret, counted in OpenBao's audit log (${a.device}), between marker requests`,
    );
    if (a.note) out.push(`   ${a.note}`);
    out.push(
      table(
        ["kind", "requests", "calls/request", "paths", "off-path calls meanwhile", "goal", "mark"],
        a.counts.map((x) => {
          const v = verdictOf("vault calls", `${x.kind} calls per request`);
          return [
            x.kind,
            String(x.requests),
            x.callsPerRequest.toFixed(2),
            Object.entries(x.byPath)
              .map(([p, k]) => `${p} ${k}`)
              .join(", "),
            String(x.offPath),
            v?.goal ?? "",
            v?.mark ?? "",
          ];
        }),
        new Set([1, 2, 4]),
      ),
    );
  }

  const fo = r.failover;
  if (fo) {
    out.push(
      `\n6. Failover on 3 managers (${fo.engine}): SIGKILL the leader's engine; a service created from that moment; ` +
        "times from the kill (delivery = the new leader's plugin log time of the task's last secret; Swarm asks " +
        "for it only once the task's node has reconnected to the new leader, so the gap is mostly Swarm's)",
    );
    out.push(
      table(
        [
          "round",
          "heartbeat",
          "killed",
          "new leader",
          "election",
          "service accepted",
          "secrets served",
          "gap",
          "plugin's own",
        ],
        fo.rounds.map((x, i) => [
          String(i + 1),
          `${x.heartbeatS} s`,
          x.killed,
          x.newLeader,
          secs(x.electionMs),
          secs(x.acceptedMs),
          secs(x.deliveryMs),
          `+${secs(x.gapMs)}`,
          `${x.pluginMs} ms`,
        ]),
        new Set([4, 5, 6, 7, 8]),
      ),
    );
  }

  out.push("\nEvery figure, its goal and its mark");
  out.push(
    table(
      ["section", "figure", "value", "goal", "mark"],
      (r.verdicts ?? []).map((x) => [x.section, x.figure, x.value, x.goal, x.mark]),
    ),
  );

  const errors = Object.entries(r.errors);
  if (errors.length) {
    out.push("\nMeasurements that failed:");
    for (const [k, m] of errors) {
      out.push(`  ${k}: ${m}`);
      for (const l of r.diagnostics[k] ?? []) out.push(`    plugin log: ${l}`);
    }
  }
  const vs = r.verdicts ?? [];
  const count = (m: Mark) => vs.filter((x) => x.mark === m).length;
  out.push(
    `\nSummary: ${count("PASS")} PASS, ${count("FALLS SHORT")} FALLS SHORT, ${count("report")} reported without a goal` +
      (count("ERROR") ? `, ${count("ERROR")} ERROR` : ""),
  );
  for (const x of vs.filter((y) => y.mark === "FALLS SHORT"))
    out.push(`  FALLS SHORT  ${x.section}: ${x.figure} = ${x.value} (goal ${x.goal})`);
  if (r.teardown) {
    const t = r.teardown;
    out.push(
      t.processes.length || t.mounts.length || t.paths.length
        ? `ground teardown LEFT BEHIND: ${JSON.stringify(t)}`
        : "ground torn down: no process, mount or path left behind",
    );
  }
  return out.join("\n");
}
