/**
 * `npm run bench`: every benchmark in one run, then a table and the ratios between them (absolute numbers
 * vary from machine to machine; ratios measured in the same run are what to compare), also written to
 * `bench/results/latest.json`.
 * BENCH_SCALE (default 1) multiplies the request counts, e.g. 0.2 for a quick smoke run (storms: at least 64).
 * BENCH_STORMS (default "256,1000,10000") sets the storm sizes (before scaling); BENCH_STORM_WAVE (default
 * 500) is how many connections a storm opens at a time before it starts. BENCH_STORES (default
 * "memory,sqlite-normal,sqlite-full"; "none" skips section 5) sets the stores section 5 compares.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { settings } from "../core/config";
import { REPO_ROOT, startDevhostSession, STORE_KINDS, STORE_LABELS, type StoreKind } from "./devhostSession";
import {
  compareStartPaths,
  entityDecisions,
  FLOOR_ROW,
  floorRound,
  merge,
  restartFinishedJobs,
  type MemoryDelta,
} from "./hostPhases";
import { runPureDecisions } from "./pureDecisions";
import { formatBytes, formatRatio, formatTable, microsPerOp, opsPerSecond, type Row } from "./report";
import { resultsFile, writeResults, type Ratio, type ResultsHeader } from "./results";
import { compareStores, type StoreRows } from "./stores";
import { startStorm, type StormReport } from "./storms";

const ENTITY_DECISIONS_TARGET_PER_S = 5000;
const START_RATIO_TARGET = 1.5;
/** An uncontended start decision costs at most this many no-op function invocations on the same host. */
const DECISION_FLOOR_TARGET = 3;
/** A decision under contention costs at most this many uncontended decisions. */
const CONTENTION_RATIO_TARGET = 3;
const STORM_RATIO_TARGET = 3;
const DEFAULT_STORM_SIZES = [256, 1_000, 10_000];
/** The storm the contention target is about (its scaled size, with BENCH_SCALE). */
const STORM_TARGET_SIZE = 1_000;
/** Under Node's default listen backlog (511): a wave never overflows the host's accept queue. */
const DEFAULT_STORM_WAVE = 500;
/** Entity decisions per second on SQLite (synchronous NORMAL) at least this share of the in-memory figure. */
const SQLITE_DECISIONS_RATIO_TARGET = 0.5;
/** Section 5's request counts on SQLite FULL (an fsync per commit) are this share of the others'. */
const FULL_REQUEST_FACTOR = 0.25;

function scale(): number {
  const raw = Number(process.env.BENCH_SCALE ?? "1");
  return Number.isFinite(raw) && raw > 0 ? raw : 1;
}

const n = (count: number) => Math.max(1, Math.round(count * scale()));
const stormSize = (count: number) => Math.max(64, Math.round(count * scale()));

/** Storm sizes before scaling: BENCH_STORMS (e.g. "256,1000"), default 256, 1,000, 10,000. */
function stormBaseSizes(): number[] {
  const raw = process.env.BENCH_STORMS;
  if (!raw) return DEFAULT_STORM_SIZES;
  const sizes = raw.split(",").map((s) => Number(s.trim()));
  if (sizes.some((s) => !Number.isInteger(s) || s <= 0)) {
    throw new Error(`BENCH_STORMS='${raw}' must be a comma-separated list of positive integers`);
  }
  return sizes;
}

const STORM_SIZES = stormBaseSizes();

/** The stores section 5 compares: BENCH_STORES (e.g. "memory,sqlite-normal"; "none": skip), default all. */
function storesToCompare(): StoreKind[] {
  const raw = process.env.BENCH_STORES;
  if (raw === undefined || raw.trim() === "") return [...STORE_KINDS];
  if (raw.trim() === "none") return [];
  const kinds = raw.split(",").map((s) => s.trim());
  const unknown = kinds.filter((k) => !(STORE_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0 || new Set(kinds).size !== kinds.length) {
    throw new Error(
      `BENCH_STORES='${raw}' must list distinct stores of ${STORE_KINDS.join(", ")} (or be "none")`,
    );
  }
  return kinds as StoreKind[];
}

const STORES = storesToCompare();

function stormWave(): number {
  const raw = Number(process.env.BENCH_STORM_WAVE ?? DEFAULT_STORM_WAVE);
  return Number.isInteger(raw) && raw > 0 ? raw : DEFAULT_STORM_WAVE;
}

function openFilesLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(fs.readFileSync("/proc/self/limits", "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

function packageVersion(name: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(name, "package.json")) as { version: string }).version;
}

function headerInfo(): ResultsHeader {
  const s = settings();
  const env = [
    ...(scale() === 1 ? [] : [`BENCH_SCALE=${scale()}`]),
    ...(process.env.BENCH_STORMS ? [`BENCH_STORMS=${STORM_SIZES.join(",")}`] : []),
    ...(process.env.BENCH_STORM_WAVE ? [`BENCH_STORM_WAVE=${stormWave()}`] : []),
    ...(process.env.BENCH_STORES ? [`BENCH_STORES=${STORES.join(",") || "none"}`] : []),
  ];
  const info: ResultsHeader = {
    command: `${[...env, "npm run bench"].join(" ")}  (node ${path.relative(process.cwd(), process.argv[1])})`,
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "?",
    packages: Object.fromEntries(
      ["durable-functions", "@azure/functions", "undici", "autocannon"].map((p) => [p, packageVersion(p)]),
    ),
    scale: scale(),
    settings: {
      pollInitialMs: s.poll.initialMs,
      pollMaxMs: s.poll.maxMs,
      pollFactor: s.poll.factor,
      waitBudgetMs: s.waitBudgetMs,
      leaseMs: s.coordinator.leaseMs,
      policy: "reject",
      host: "devhost in-process on 127.0.0.1, in-memory store (section 5: one host per store and round)",
      stormSizes: STORM_SIZES.map(stormSize),
      stormWave: stormWave(),
      stores: STORES,
      storeRounds: [...STORES, ...[...STORES].reverse()],
      sqlite: "WAL, data directory in a fresh temporary directory per host (deleted after)",
      sqliteFullRequestFactor: FULL_REQUEST_FACTOR,
    },
  };
  const limit = openFilesLimit();
  if (limit !== undefined) info.openFilesLimit = limit;
  return info;
}

function header(h: ResultsHeader): string {
  const s = h.settings;
  return [
    `command: ${h.command}`,
    `node ${h.node}, ${h.platform}, ${h.cpus} CPUs (${h.cpuModel}), ` +
      Object.entries(h.packages)
        .map(([p, v]) => `${p} ${v}`)
        .join(", "),
    `settings: poll ${String(s.pollInitialMs)}..${String(s.pollMaxMs)} ms x${String(s.pollFactor)}, ` +
      `wait budget ${String(s.waitBudgetMs)} ms, lease ${String(s.leaseMs)} ms, policy reject; ` +
      `devhost in-process on 127.0.0.1, in-memory store`,
    `storms: ${STORM_SIZES.map(stormSize).join(", ")} starters, connections opened ${stormWave()} at a time; ` +
      `open-files limit ${h.openFilesLimit ?? "?"}; ${h.date}`,
    `stores (section 5): ${STORES.length > 0 ? STORES.map((k) => STORE_LABELS[k]).join(", ") : "none"}` +
      (STORES.length > 0
        ? `; rounds ${[...STORES, ...[...STORES].reverse()].map((k) => STORE_LABELS[k]).join(", ")}; ` +
          `SQLite in WAL mode, a fresh temporary data directory per host; FULL runs ` +
          `${FULL_REQUEST_FACTOR}x the requests (not the storm)`
        : ""),
  ].join("\n");
}

function ratioLine(r: Ratio): string {
  const verdict = r.meetsTarget === undefined ? "" : r.meetsTarget ? ", met" : ", NOT met";
  return formatRatio(r.label, r.value, r.target === undefined ? undefined : `target ${r.target}${verdict}`);
}

function memoryLine(m: MemoryDelta): string {
  const heap = m.after.heapUsedBytes - m.before.heapUsedBytes;
  const rss = m.after.rssBytes - m.before.rssBytes;
  return (
    `  ${m.label.padEnd(48)} ${String(m.ops).padStart(7)} ops: heap ${formatBytes(heap).padStart(10)} ` +
    `(${formatBytes(heap / m.ops)}/op), rss ${formatBytes(rss).padStart(10)} (${formatBytes(rss / m.ops)}/op)`
  );
}

/** `value` against an upper (≤) or lower (≥) bound. */
function ratio(label: string, value: number, bound?: { max?: number; min?: number; text?: string }): Ratio {
  if (!bound) return { label, value };
  const meetsTarget = bound.max !== undefined ? value <= bound.max : value >= (bound.min ?? -Infinity);
  const target = bound.text ?? (bound.max !== undefined ? `≤ ${bound.max}` : `≥ ${bound.min}`);
  return { label, value, target, meetsTarget };
}

/** Each SQLite store against the in-memory one (both measured in section 5's interleaved rounds). */
function storeRatios(stores: StoreRows[]): Ratio[] {
  const memory = stores.find((s) => s.store === "memory");
  const ratios: Ratio[] = [];
  for (const sqlite of stores.filter((s) => s.store !== "memory")) {
    const held = opsPerSecond(sqlite.held.result);
    ratios.push(
      ratio(
        `entity decisions/s (job held) on ${sqlite.label} / target 5,000`,
        held / ENTITY_DECISIONS_TARGET_PER_S,
      ),
    );
    if (!memory) continue;
    const vs = `${sqlite.label} / memory`;
    ratios.push(
      ratio(
        `entity decisions/s (app client, job held): ${vs}`,
        held / opsPerSecond(memory.held.result),
        sqlite.store === "sqlite-normal" ? { min: SQLITE_DECISIONS_RATIO_TARGET } : undefined,
      ),
      ratio(
        `uncontended decisions/s (idle job): ${vs}`,
        opsPerSecond(sqlite.idle.result) / opsPerSecond(memory.idle.result),
      ),
      ratio(
        `starts/s (app client, fresh jobs): ${vs}`,
        opsPerSecond(sqlite.start.result) / opsPerSecond(memory.start.result),
      ),
      ratio(
        `storm time at ${memory.storms[0].params.requests.toLocaleString("en-US")}: ${vs}`,
        sqlite.storm.result.elapsedMs / memory.storm.result.elapsedMs,
      ),
    );
  }
  return ratios;
}

async function main(): Promise<void> {
  const started = performance.now();
  const info = headerInfo();
  console.log(header(info));
  const rows: Row[] = [];

  console.log("\n[1/6] pure decisions (core/coordinator.ts)...");
  const pure = runPureDecisions({ decisions: n(200_000), jobs: 100 });
  rows.push(
    {
      name: "tryStart, job held (rejected)",
      where: "pure",
      concurrency: "-",
      jobs: 100,
      result: pure.rejected,
    },
    {
      name: "tryStart+confirm+complete cycle",
      where: "pure",
      concurrency: "-",
      jobs: 100,
      result: pure.cycle,
    },
    {
      name: "tryStart + JSON state round trip",
      where: "pure",
      concurrency: "-",
      jobs: 100,
      result: pure.rejectedWithJson,
    },
  );

  const session = await startDevhostSession();
  let memory: MemoryDelta[] = [];
  let ratios: Ratio[] = [];
  const storms: StormReport[] = [];
  let registry: { count: number; unregistered: number } | undefined;
  try {
    await session.host.waitForIdle();
    console.log(`devhost on ${session.host.baseUrl}, app ${path.relative(process.cwd(), session.appDir)}`);

    const floorParams = { requests: n(5_000), concurrency: 32 };
    console.log("[2/6] floor (no-op HTTP function), entity decisions on the devhost...");
    const floorFirst = await floorRound(session, floorParams);
    const entity = await entityDecisions(session, {
      requests: n(10_000),
      hostThreadRequests: n(4_000),
      concurrency: 64,
      jobs: 256,
    });

    console.log("[3/6] full start path: ours (startJob) vs naive (getStatus, then startNew)...");
    const fresh = await compareStartPaths(
      session,
      "fresh jobs",
      { name: "start: ours (app client)", scenario: "startOurs" },
      { name: "start: naive (SDK)", scenario: "startNaive" },
      { requests: n(600), concurrency: 32 },
      "fresh",
    );
    const contended = await compareStartPaths(
      session,
      "16 jobs",
      { name: "start: ours (app client)", scenario: "startOurs" },
      { name: "start: naive (SDK)", scenario: "startNaive" },
      { requests: n(1_000), concurrency: 32, jobs: 16 },
      "hot",
    );
    const restart = await restartFinishedJobs(
      session,
      "start: ours (app client) restart finished jobs",
      { requests: n(600), concurrency: 32 },
      "again",
    );
    const http = await compareStartPaths(
      session,
      "fresh jobs",
      { name: "HTTP POST /api/jobs/{job}/start", scenario: "httpStartOurs" },
      { name: "HTTP naive seed starter", scenario: "httpStartNaive" },
      { requests: n(600), concurrency: floorParams.concurrency },
      "http",
    );
    const floor = merge(FLOOR_ROW, floorFirst, await floorRound(session, floorParams));

    console.log(
      `[4/6] storms: ${STORM_SIZES.map(stormSize).join(", ")} concurrent starts on one fresh job each...`,
    );
    for (const size of STORM_SIZES) {
      const requests = stormSize(size);
      const report = await startStorm(session, { requests, job: `storm-${requests}`, wave: stormWave() });
      console.log(`  ${report.row.name}: ${(report.row.result.elapsedMs / 1000).toFixed(2)} s`);
      storms.push(report);
    }
    rows.push(
      floor,
      entity.idle,
      entity.app,
      entity.sdk,
      entity.appHostThread,
      fresh.ours,
      fresh.naive,
      restart,
      contended.ours,
      contended.naive,
      http.ours,
      http.naive,
      ...storms.map((s) => s.row),
    );

    const perOp = (r: Row) => microsPerOp(r.result);
    const withDrain = (r: Row) => (r.result.elapsedMs + (r.drainMs ?? 0)) / r.result.ops;
    const entityRate = opsPerSecond(entity.app.result);
    const floorRate = opsPerSecond(floor.result);
    const stormAtTarget = storms[STORM_SIZES.indexOf(STORM_TARGET_SIZE)];
    ratios = [
      ratio(
        "entity decisions/s (app client, job held) / target 5,000",
        entityRate / ENTITY_DECISIONS_TARGET_PER_S,
        {
          min: 1,
        },
      ),
      ratio("entity decisions/s: app client / SDK only", entityRate / opsPerSecond(entity.sdk.result)),
      ratio(
        "entity decisions/s: client thread / host thread (app client)",
        entityRate / opsPerSecond(entity.appHostThread.result),
      ),
      ratio(
        "time per decision: entity (app client) / pure tryStart",
        perOp(entity.app) / microsPerOp(pure.rejected),
      ),
      ratio("entity decisions/s (app client, client thread) / floor req/s", entityRate / floorRate),
      ratio(
        "time per decision on an idle job (uncontended) / no-op HTTP invocation",
        perOp(entity.idle) / perOp(floor),
        { max: DECISION_FLOOR_TARGET },
      ),
      ratio(
        "time per decision, job held (contended) / idle job (uncontended)",
        perOp(entity.app) / perOp(entity.idle),
        { max: CONTENTION_RATIO_TARGET },
      ),
      ratio("entity decisions/s (SDK only) / floor req/s", opsPerSecond(entity.sdk.result) / floorRate),
      ratio(
        "entity decisions/s (app client, host thread) / floor req/s",
        opsPerSecond(entity.appHostThread.result) / floorRate,
      ),
      ratio(
        "HTTP starts/s (POST /api/jobs/{job}/start) / floor req/s",
        opsPerSecond(http.ours.result) / floorRate,
      ),
      ratio(
        "time per start, ours (app client) / naive (SDK), fresh jobs",
        perOp(fresh.ours) / perOp(fresh.naive),
        {
          max: START_RATIO_TARGET,
        },
      ),
      ratio(
        "time per start incl. drain, ours / naive, fresh jobs",
        withDrain(fresh.ours) / withDrain(fresh.naive),
      ),
      ratio(
        "time per start, ours restarting finished jobs / naive fresh",
        perOp(restart) / perOp(fresh.naive),
        { max: START_RATIO_TARGET },
      ),
      ratio(
        "time per request, ours / naive (16 jobs, 32 starters)",
        perOp(contended.ours) / perOp(contended.naive),
      ),
      ratio(
        "time per start, ours / naive (HTTP end to end, fresh jobs)",
        perOp(http.ours) / perOp(http.naive),
        {
          max: START_RATIO_TARGET,
        },
      ),
      ...storms.map((s) =>
        ratio(
          `storm time per request at ${s.params.requests.toLocaleString("en-US")} / HTTP start (uncontended)`,
          perOp(s.row) / perOp(http.ours),
          s === stormAtTarget ? { max: STORM_RATIO_TARGET } : undefined,
        ),
      ),
    ];
    memory = [entity.memory, fresh.memoryOurs, fresh.memoryNaive];
    const listed = (await (await fetch(`${session.host.baseUrl}/api/jobs`)).json()) as {
      count: number;
      unregistered: number;
    };
    registry = { count: listed.count, unregistered: listed.unregistered };
    console.log("stopping the devhost.");
  } finally {
    await session.stop();
  }

  let stores: StoreRows[] = [];
  if (STORES.length > 0) {
    const order = [...STORES, ...[...STORES].reverse()].map((k) => STORE_LABELS[k]).join(", ");
    console.log(`[5/6] stores: the same decisions, starts and a storm on each store, rounds ${order}...`);
    stores = await compareStores(
      STORES,
      {
        decisions: n(5_000),
        starts: n(300),
        storm: stormSize(STORM_TARGET_SIZE),
        wave: stormWave(),
        fullFactor: FULL_REQUEST_FACTOR,
      },
      (line) => console.log(line),
    );
    rows.push(...stores.map((s) => s.held), ...stores.map((s) => s.idle));
    rows.push(...stores.map((s) => s.start), ...stores.map((s) => s.storm));
    ratios.push(...storeRatios(stores));
  }
  console.log("[6/6] done.");

  const totalSeconds = (performance.now() - started) / 1000;
  console.log(`\n${formatTable(rows)}`);
  console.log("\nratios (same run):");
  console.log(ratios.map(ratioLine).join("\n"));
  console.log("\nmemory (main thread = host + app; after a full GC; per op includes warm-up requests):");
  console.log(memory.map(memoryLine).join("\n"));
  if (registry) {
    console.log(
      `\nregistry entity at the end: ${registry.count} job names (+${registry.unregistered} refused: full)`,
    );
  }
  const file = resultsFile(REPO_ROOT);
  writeResults(file, {
    header: info,
    totalSeconds,
    rows,
    storms,
    ratios,
    memory,
    stores,
    ...(registry ? { registry } : {}),
  });
  console.log(`results: ${path.relative(process.cwd(), file)}`);
  console.log(`total ${totalSeconds.toFixed(1)} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
