/**
 * `npm run bench`: every benchmark in one run, then a table and the ratios between them (absolute numbers
 * vary from machine to machine; ratios measured in the same run are what to compare).
 * BENCH_SCALE (default 1) multiplies the request counts, e.g. 0.2 for a quick smoke run.
 */
import * as os from "node:os";
import * as path from "node:path";
import { settings } from "../core/config";
import { startDevhostSession } from "./devhostSession";
import { compareStartPaths, entityDecisions, restartFinishedJobs, type MemoryDelta } from "./hostPhases";
import { runPureDecisions } from "./pureDecisions";
import { formatBytes, formatRatio, formatTable, microsPerOp, opsPerSecond, type Row } from "./report";

const ENTITY_DECISIONS_TARGET_PER_S = 5000;
const START_RATIO_TARGET = 1.5;

function scale(): number {
  const raw = Number(process.env.BENCH_SCALE ?? "1");
  return Number.isFinite(raw) && raw > 0 ? raw : 1;
}

const n = (count: number) => Math.max(1, Math.round(count * scale()));

function packageVersion(name: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.join(name, "package.json")) as { version: string }).version;
}

function header(): string {
  const s = settings();
  return [
    `command: npm run bench  (node ${path.relative(process.cwd(), process.argv[1])})${scale() === 1 ? "" : `  BENCH_SCALE=${scale()}`}`,
    `node ${process.version}, ${os.platform()} ${os.arch()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? "?"}), ` +
      `durable-functions ${packageVersion("durable-functions")}, @azure/functions ${packageVersion("@azure/functions")}`,
    `settings: poll ${s.poll.initialMs}..${s.poll.maxMs} ms x${s.poll.factor}, wait budget ${s.waitBudgetMs} ms, ` +
      `lease ${s.coordinator.leaseMs} ms, policy reject; devhost in-process on 127.0.0.1, in-memory store`,
  ].join("\n");
}

function memoryLine(m: MemoryDelta): string {
  const heap = m.after.heapUsedBytes - m.before.heapUsedBytes;
  const rss = m.after.rssBytes - m.before.rssBytes;
  return (
    `  ${m.label.padEnd(48)} ${String(m.ops).padStart(7)} ops: heap ${formatBytes(heap).padStart(10)} ` +
    `(${formatBytes(heap / m.ops)}/op), rss ${formatBytes(rss).padStart(10)} (${formatBytes(rss / m.ops)}/op)`
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(header());
  const rows: Row[] = [];

  console.log("\n[1/4] pure decisions (core/coordinator.ts)...");
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
  let ratios: string[] = [];
  let registryLine = "";
  try {
    await session.host.waitForIdle();
    console.log(`devhost on ${session.host.baseUrl}, app ${path.relative(process.cwd(), session.appDir)}`);

    console.log("[2/4] entity decisions on the devhost...");
    const entity = await entityDecisions(session, {
      requests: n(10_000),
      hostThreadRequests: n(4_000),
      concurrency: 64,
      jobs: 256,
    });
    rows.push(entity.app, entity.sdk, entity.appHostThread);

    console.log("[3/4] full start path: ours (startJob) vs naive (getStatus, then startNew)...");
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
      { requests: n(600), concurrency: 32 },
      "http",
    );
    rows.push(fresh.ours, fresh.naive, restart, contended.ours, contended.naive, http.ours, http.naive);

    const perOp = (r: Row) => microsPerOp(r.result);
    const withDrain = (r: Row) => (r.result.elapsedMs + (r.drainMs ?? 0)) / r.result.ops;
    const entityRate = opsPerSecond(entity.app.result);
    ratios = [
      formatRatio(
        "entity decisions/s (app client, client thread) / target 5,000",
        entityRate / ENTITY_DECISIONS_TARGET_PER_S,
        "≥ 1 meets the target",
      ),
      formatRatio("entity decisions/s: app client / SDK only", entityRate / opsPerSecond(entity.sdk.result)),
      formatRatio(
        "entity decisions/s: client thread / host thread (app client)",
        entityRate / opsPerSecond(entity.appHostThread.result),
      ),
      formatRatio(
        "time per decision: entity (app client) / pure tryStart",
        perOp(entity.app) / microsPerOp(pure.rejected),
      ),
      formatRatio(
        "time per start, ours (app client) / naive (SDK), fresh jobs",
        perOp(fresh.ours) / perOp(fresh.naive),
        `target ≤ ${START_RATIO_TARGET}`,
      ),
      formatRatio(
        "time per start incl. drain, ours / naive, fresh jobs",
        withDrain(fresh.ours) / withDrain(fresh.naive),
      ),
      formatRatio(
        "time per start, ours restarting finished jobs / naive fresh",
        perOp(restart) / perOp(fresh.naive),
        `target ≤ ${START_RATIO_TARGET}`,
      ),
      formatRatio(
        "time per request, ours / naive (16 jobs, 32 starters)",
        perOp(contended.ours) / perOp(contended.naive),
      ),
      formatRatio(
        "time per start, ours / naive (HTTP end to end, fresh jobs)",
        perOp(http.ours) / perOp(http.naive),
        `target ≤ ${START_RATIO_TARGET}`,
      ),
    ];
    memory = [entity.memory, fresh.memoryOurs, fresh.memoryNaive];
    const registry = (await (await fetch(`${session.host.baseUrl}/api/jobs`)).json()) as {
      count: number;
      unregistered: number;
    };
    registryLine = `registry entity at the end: ${registry.count} job names (+${registry.unregistered} refused: full)`;
    console.log("[4/4] done; stopping the devhost.");
  } finally {
    await session.host.stop();
  }

  console.log(`\n${formatTable(rows)}`);
  console.log("\nratios (same run):");
  console.log(ratios.join("\n"));
  console.log("\nmemory (main thread = host + app; after a full GC; per op includes warm-up requests):");
  console.log(memory.map(memoryLine).join("\n"));
  console.log(`\n${registryLine}`);
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
