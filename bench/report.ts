/** Plain-text output: the results table, ratios and memory lines. */
import type { CallCounts } from "./coordinatorClients";
import type { PoolResult } from "./measure";

export interface Row {
  name: string;
  /** "pure", "host thread" or "client thread": where the starters ran. */
  where: string;
  concurrency: number | "-";
  jobs: number;
  result: PoolResult;
  counts?: CallCounts;
  outcomes?: Record<string, number>;
  /** Time for the host to finish the started orchestrations after the last start returned. */
  drainMs?: number;
  /** Row-specific notes (storm rows: runs started, connections). */
  extraNotes?: string[];
}

export function opsPerSecond(result: PoolResult): number {
  return (result.ops / result.elapsedMs) * 1000;
}

export function microsPerOp(result: PoolResult): number {
  return (result.elapsedMs / result.ops) * 1000;
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

function thousands(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function callsPerOp(row: Row): string {
  const c = row.counts;
  if (!c) return "";
  const n = row.result.ops;
  const parts = [`sig ${fixed(c.signal / n, 2)}`, `read ${fixed(c.readState / n, 2)}`];
  if (c.readState > 0) parts.push(`${Math.round(c.readBytes / c.readState)} B/read`);
  if (c.startNew > 0) parts.push(`start ${fixed(c.startNew / n, 2)}`);
  if (c.instance > 0) parts.push(`status ${fixed(c.instance / n, 2)}`);
  return parts.join(" ");
}

function notes(row: Row): string {
  const parts: string[] = [];
  const calls = callsPerOp(row);
  if (calls) parts.push(calls);
  if (row.outcomes) {
    parts.push(
      Object.entries(row.outcomes)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k} ${v}`)
        .join(", "),
    );
  }
  if (row.extraNotes) parts.push(...row.extraNotes);
  if (row.drainMs !== undefined) parts.push(`drain ${fixed(row.drainMs / 1000, 2)} s`);
  if (row.result.errors > 0) parts.push(`ERRORS ${row.result.errors}: ${row.result.firstError ?? ""}`);
  return parts.join("; ");
}

export function formatTable(rows: Row[]): string {
  const header = [
    "benchmark",
    "starters",
    "conc",
    "jobs",
    "ops",
    "time s",
    "ops/s",
    "µs/op",
    "p50 ms",
    "p99 ms",
    "notes",
  ];
  const lines = rows.map((row) => [
    row.name,
    row.where,
    String(row.concurrency),
    thousands(row.jobs),
    thousands(row.result.ops),
    fixed(row.result.elapsedMs / 1000, 2),
    thousands(opsPerSecond(row.result)),
    fixed(microsPerOp(row.result), 1),
    fixed(row.result.p50Ms, 2),
    fixed(row.result.p99Ms, 2),
    notes(row),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const numeric = (i: number) => i >= 2 && i <= 9;
  const render = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === cells.length - 1 ? cell : numeric(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]),
      )
      .join("  ")
      .trimEnd();
  return [render(header), render(widths.map((w) => "-".repeat(w))), ...lines.map(render)].join("\n");
}

export function formatRatio(label: string, value: number, target?: string): string {
  return `  ${label.padEnd(64)} ${fixed(value, 2).padStart(8)}${target ? `   (${target})` : ""}`;
}

export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? "-" : "";
  const abs = Math.abs(bytes);
  if (abs >= 1024 * 1024) return `${sign}${(abs / 1024 / 1024).toFixed(1)} MiB`;
  if (abs >= 1024) return `${sign}${(abs / 1024).toFixed(1)} KiB`;
  return `${sign}${abs.toFixed(0)} B`;
}
