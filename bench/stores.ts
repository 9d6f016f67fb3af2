/**
 * Section 5: the same workload on each Durable store, one fresh host per round (SQLite: a fresh temporary
 * data directory, deleted after the round). Rounds run in A-B-C-C-B-A order (memory, SQLite NORMAL, SQLite
 * FULL, then back), and each store's two rounds are merged, so a drift or a noisy spell of the machine
 * weighs on every store alike. A round: the held-job decision (the contended decision, the 5,000/s
 * target), the idle-job decision (the uncontended start decision), the whole start of fresh jobs (read,
 * signal, read, startNew: instance records with histories), and a storm of concurrent starts on one job.
 */
import { startDevhostSession, STORE_LABELS, type DevhostSession, type StoreKind } from "./devhostSession";
import { merge, runPhase } from "./hostPhases";
import { collectGarbage } from "./measure";
import type { Row } from "./report";
import { startStorm, type StormReport } from "./storms";

export interface StoreComparisonParams {
  /** Timed decisions per round, in each decision row (held jobs, idle jobs). */
  decisions: number;
  /** Timed starts of fresh jobs per round. */
  starts: number;
  /** Starters in the storm (one per round and store). */
  storm: number;
  /** Storm connections opened at a time. */
  wave: number;
  /**
   * Request counts on SQLite FULL are multiplied by this (an fsync per commit makes it far slower; the
   * storm keeps its size). Rates and times per op stay comparable; the rows say how many ops they ran.
   */
  fullFactor: number;
}

/** The held-job rows' jobs and concurrency, as in section 2. */
const DECISION_JOBS = 256;
const DECISION_CONCURRENCY = 64;
const START_CONCURRENCY = 32;
/** Untimed requests before each timed decision row (section 2 uses 4 per job), times the request factor. */
const DECISION_WARMUP = DECISION_JOBS * 2;

export interface StoreRows {
  store: StoreKind;
  label: string;
  /** Multiplier of the request counts (1, or `fullFactor` on SQLite FULL). */
  requestFactor: number;
  held: Row;
  idle: Row;
  start: Row;
  storm: Row;
  /** Every round's storm, in round order. */
  storms: StormReport[];
  /** Bytes in the data directory (database + WAL) at the end of each round (0 for memory). */
  dataBytes: number[];
  /** Each round's place in the run order (1-based). */
  rounds: number[];
}

interface Round {
  held: Row;
  idle: Row;
  start: Row;
  storm: StormReport;
  dataBytes: number;
}

async function runRound(session: DevhostSession, p: StoreComparisonParams, factor: number): Promise<Round> {
  const label = STORE_LABELS[session.store];
  const k = (count: number) => Math.max(1, Math.round(count * factor));
  const decisions = k(p.decisions);
  const warmup = k(DECISION_WARMUP);
  const base = { concurrency: DECISION_CONCURRENCY, jobs: DECISION_JOBS };
  // The held jobs' first decisions (each job accepted once, so held from then on), untimed.
  await runPhase(
    session,
    "prime",
    "entityDecisionApp",
    { ...base, requests: DECISION_JOBS, jobPrefix: "held-", warmup: 0 },
    "client thread",
  );
  const held = await runPhase(
    session,
    `[${label}] entity decision, job held (app client)`,
    "entityDecisionApp",
    { ...base, requests: decisions, jobPrefix: "held-", warmup, warmupPrefix: "held-" },
    "client thread",
  );
  const idle = await runPhase(
    session,
    `[${label}] entity decision, idle job (app client)`,
    "entityDecisionApp",
    { ...base, jobs: decisions, requests: decisions, jobPrefix: "idle-", warmup },
    "client thread",
  );
  const starts = k(p.starts);
  const start = await runPhase(
    session,
    `[${label}] start: ours (app client) fresh jobs`,
    "startOurs",
    {
      concurrency: START_CONCURRENCY,
      jobs: starts,
      requests: starts,
      jobPrefix: "fresh-",
      warmup: Math.min(200, starts),
    },
    "client thread",
  );
  const storm = await startStorm(session, { requests: p.storm, job: `storm-${p.storm}`, wave: p.wave });
  storm.row.name = `[${label}] ${storm.row.name}`;
  return { held, idle, start, storm, dataBytes: session.dataBytes() };
}

/** Runs every store in `kinds` twice, in A-B-C-C-B-A order, and merges each store's two rounds. */
export async function compareStores(
  kinds: readonly StoreKind[],
  p: StoreComparisonParams,
  progress: (line: string) => void = () => undefined,
): Promise<StoreRows[]> {
  const order = [...kinds, ...[...kinds].reverse()];
  const rounds = new Map<StoreKind, { round: Round; index: number }[]>(kinds.map((kind) => [kind, []]));
  for (const [index, kind] of order.entries()) {
    collectGarbage();
    const session = await startDevhostSession(kind);
    const started = performance.now();
    try {
      await session.host.waitForIdle();
      const round = await runRound(session, p, kind === "sqlite-full" ? p.fullFactor : 1);
      rounds.get(kind)?.push({ round, index: index + 1 });
      progress(
        `  round ${index + 1}/${order.length} ${STORE_LABELS[kind]}: ` +
          `${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    } finally {
      await session.stop();
    }
  }
  return kinds.map((kind) => {
    const runs = rounds.get(kind) ?? [];
    const [a, b] = runs.map((r) => r.round);
    const both = (pick: (r: Round) => Row) => {
      const row = merge(pick(a).name, pick(a), pick(b));
      row.extraNotes = [...(row.extraNotes ?? []), `rounds ${runs.map((r) => r.index).join("+")}`];
      return row;
    };
    // Each round's own count of runs started (must be 1) and of decisions the entity recorded.
    const checks = (r: Round) =>
      (r.storm.row.extraNotes ?? []).filter((n) => n.startsWith("runs started") || n.startsWith("decided"));
    const storm = both((r) => r.storm.row);
    storm.extraNotes = [...checks(a), ...checks(b), `rounds ${runs.map((r) => r.index).join("+")}`];
    return {
      store: kind,
      label: STORE_LABELS[kind],
      requestFactor: kind === "sqlite-full" ? p.fullFactor : 1,
      held: both((r) => r.held),
      idle: both((r) => r.idle),
      start: both((r) => r.start),
      storm,
      storms: [a.storm, b.storm],
      dataBytes: runs.map((r) => r.round.dataBytes),
      rounds: runs.map((r) => r.index),
    };
  });
}
