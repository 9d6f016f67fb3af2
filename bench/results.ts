/**
 * `bench/results/latest.json`: everything one run printed, as data (header, rows, storms, ratios, memory),
 * pretty-printed and committable, so the README can quote a run and two runs can be diffed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { MemoryDelta } from "./hostPhases";
import { microsPerOp, opsPerSecond, type Row } from "./report";
import type { StoreRows } from "./stores";
import type { StormReport } from "./storms";

export interface Ratio {
  label: string;
  value: number;
  /** e.g. "≤ 1.5"; absent when the project sets no target for this ratio. */
  target?: string;
  meetsTarget?: boolean;
}

export interface ResultsHeader {
  command: string;
  date: string;
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  packages: Record<string, string>;
  scale: number;
  settings: Record<string, unknown>;
  openFilesLimit?: number;
}

export interface Results {
  header: ResultsHeader;
  totalSeconds: number;
  rows: Row[];
  storms: StormReport[];
  ratios: Ratio[];
  memory: MemoryDelta[];
  /** Section 5: each store's merged rows are in `rows`; here its rounds, data directory sizes and storms. */
  stores: StoreRows[];
  registry?: { count: number; unregistered: number };
}

/** Rounds to 3 significant decimals so the file stays readable (NaN becomes null in JSON). */
function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const digits = Math.abs(value) >= 100 ? 1 : 3;
  return Number(value.toFixed(digits));
}

function rowJson(row: Row): Record<string, unknown> {
  const r = row.result;
  return {
    name: row.name,
    starters: row.where,
    concurrency: row.concurrency,
    jobs: row.jobs,
    ops: r.ops,
    elapsedMs: round(r.elapsedMs),
    opsPerSecond: round(opsPerSecond(r)),
    microsPerOp: round(microsPerOp(r)),
    p50Ms: round(r.p50Ms),
    p99Ms: round(r.p99Ms),
    errors: r.errors,
    ...(r.firstError === undefined ? {} : { firstError: r.firstError }),
    ...(row.outcomes ? { outcomes: row.outcomes } : {}),
    ...(row.counts ? { durableCalls: row.counts } : {}),
    ...(row.drainMs === undefined ? {} : { drainMs: round(row.drainMs) }),
    ...(row.extraNotes ? { notes: row.extraNotes } : {}),
  };
}

function stormJson(s: StormReport): Record<string, unknown> {
  const c = s.client;
  return {
    requests: s.params.requests,
    job: s.params.job,
    connections: c.connections,
    requestsPerConnection: c.pipelining,
    connect: { ...c.connect, ms: round(c.connect.ms) },
    listenOverflows: c.listenOverflows,
    sendMs: round(c.sendMs),
    elapsedMs: round(c.elapsedMs),
    p50Ms: round(c.p50Ms),
    p99Ms: round(c.p99Ms),
    maxMs: round(c.maxMs),
    latencyByOutcome: Object.fromEntries(
      Object.entries(c.latencyByOutcome).map(([k, v]) => [
        k,
        { count: v.count, minMs: round(v.minMs), p50Ms: round(v.p50Ms), maxMs: round(v.maxMs) },
      ]),
    ),
    firstAnswers: c.first,
    pendingResolvedAs: c.resolved,
    polls: c.polls,
    errors: c.errors,
    ...(c.firstError === undefined ? {} : { firstError: c.firstError }),
    runsStarted: s.runsStarted,
    instanceIds: s.instanceIds,
    startedAnswers: c.startedInstanceIds,
    ...(s.counters ? { entityCounters: s.counters } : {}),
    drainMs: round(s.row.drainMs ?? NaN),
  };
}

export function resultsFile(repoRoot: string): string {
  return path.join(repoRoot, "bench", "results", "latest.json");
}

export function writeResults(file: string, results: Results): void {
  const json = {
    ...results.header,
    totalSeconds: round(results.totalSeconds),
    rows: results.rows.map(rowJson),
    storms: results.storms.map(stormJson),
    ratios: results.ratios.map((r) => ({ ...r, value: round(r.value) })),
    memory: results.memory.map((m) => ({
      label: m.label,
      ops: m.ops,
      heapBytesPerOp: Math.round((m.after.heapUsedBytes - m.before.heapUsedBytes) / m.ops),
      rssBytesPerOp: Math.round((m.after.rssBytes - m.before.rssBytes) / m.ops),
    })),
    stores: results.stores.map((s) => ({
      store: s.store,
      label: s.label,
      requestFactor: s.requestFactor,
      rounds: s.rounds,
      rows: [s.held, s.idle, s.start, s.storm].map((r) => r.name),
      dataDirBytesAtRoundEnd: s.dataBytes,
      storms: s.storms.map(stormJson),
    })),
    ...(results.registry ? { registry: results.registry } : {}),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}
