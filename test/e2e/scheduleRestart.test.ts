/**
 * Missed ticks across a real host restart: a second host starts on the first one's store (the same
 * MemoryStore in project `app`; the same SQLite data directory, opened again, in `app:sqlite`), with the app
 * loaded afresh, so only the store carries the jobs' state over.
 *
 * Two every-minute schedules, one with a 15-minute catch-up window and one without. Both tick on time at T;
 * the host stops 30 s later, and the next one starts at T+10:30 (`startTime`): T+1 .. T+10 came while no host
 * ran. Its schedule monitor finds the timers' stored next occurrence passed and runs each once, past due, at
 * startup (as the Functions host does, TimerListener.cs), then on time at T+11. The windowed job runs exactly
 * one catch-up run standing for all ten and records none missed; the other runs no catch-up and records the
 * ten as missed, in one entry. Without the store the second host's first tick would be a late first tick,
 * not due: no catch-up, nothing recorded.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MemoryStore, SqliteStore, startHost, type DurableStore } from "durable-functions-devhost";
import { AppClient, REPO_ROOT, testStoreKind } from "./appHost";
import { writeJobsFile } from "./scheduleHost";

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
/** T: the minute both schedules tick on time before the restart. */
const T = Date.UTC(2030, 0, 1, 12, 1, 0);

interface TickView {
  outcome: string;
  catchUp: boolean;
  scheduledAt?: string;
  covers?: number;
  count?: number;
  from?: string;
  generation: number;
}
interface ScheduledJob {
  generation: number;
  runs: { generation: number; outcome: string }[];
  schedule: { missedTicks: number; recentTicks: TickView[]; lastTick: { scheduledAt: string } | null };
}

let dataDir: string;
let memory: MemoryStore;
beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "schedule-restart-"));
  memory = new MemoryStore();
  const quick = { orchestrator: "reportJob", input: { items: 1 }, schedule: "0 * * * * *" };
  process.env.SINGLETON_JOBS_FILE = writeJobsFile({
    schedules: [
      { name: "covered", catchUpWindow: "00:15:00", ...quick },
      { name: "uncovered", ...quick },
    ],
  });
});
afterAll(() => {
  delete process.env.SINGLETON_JOBS_FILE;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/**
 * A host on the test's data at `startTime` (not through startAppHost, whose store is a fresh one per host:
 * this test needs the same data twice). A host closes its store when it stops; a SqliteStore is reopened.
 */
const startOnSameData = async (startTime: number) => {
  const store: DurableStore = testStoreKind() === "sqlite" ? new SqliteStore(dataDir) : memory;
  return new AppClient(
    await startHost({ appDir: REPO_ROOT, port: 0, virtualTime: true, startTime, log: false, store }),
  );
};

const job = async (app: AppClient, name: string) => {
  const reply = await app.jobState(name);
  expect([name, reply.status]).toEqual([name, 200]);
  return reply.body as unknown as ScheduledJob;
};

test("host stopped over 10 ticks: the restarted host runs one catch-up inside the window, none outside it, and records the missed ones", async () => {
  const first = await startOnSameData(T - 30_000);
  let before: Record<"covered" | "uncovered", ScheduledJob>;
  try {
    await first.advance(T + 1000 - first.host.clock.now());
    for (const name of ["covered", "uncovered"]) {
      expect([name, (await job(first, name)).schedule.recentTicks[0]]).toEqual([
        name,
        expect.objectContaining({ outcome: "started", catchUp: false, scheduledAt: iso(T) }),
      ]);
    }
    await first.advance(29_000);
    before = { covered: await job(first, "covered"), uncovered: await job(first, "uncovered") };
    // Both runs ended before the host stops: nothing is left running across the restart.
    for (const name of ["covered", "uncovered"] as const) {
      expect([name, before[name].runs[0]]).toEqual([name, expect.objectContaining({ outcome: "completed" })]);
    }
  } finally {
    await first.stop();
  }

  // Down over T+1 .. T+10; back at T+10:30 on the same data (the past-due ticks run at startup), then up to
  // just after T+11.
  const second = await startOnSameData(T + 10 * MINUTE + 30_000);
  try {
    await second.idle();
    expect((await job(second, "covered")).schedule.lastTick).toMatchObject({
      scheduledAt: iso(T + 10 * MINUTE),
    });
    await second.advance(T + 11 * MINUTE + 1000 - second.host.clock.now());

    const covered = await job(second, "covered");
    const newTicks = covered.schedule.recentTicks.filter((t) => t.scheduledAt !== iso(T));
    expect(newTicks.map((t) => [t.scheduledAt, t.outcome, t.catchUp])).toEqual([
      [iso(T + 11 * MINUTE), "started", false],
      [iso(T + 10 * MINUTE), "started", true],
    ]);
    // The catch-up stands for T+10 and the 9 before it, and nothing was missed.
    expect(newTicks[1].covers).toBe(9);
    expect(covered.schedule.missedTicks).toBe(before.covered.schedule.missedTicks);
    // Exactly two runs after the restart: the catch-up and the on-time tick's.
    expect(covered.generation).toBe(before.covered.generation + 2);

    const uncovered = await job(second, "uncovered");
    expect(uncovered.schedule.recentTicks.filter((t) => t.catchUp)).toEqual([]);
    expect(uncovered.schedule.missedTicks).toBe(before.uncovered.schedule.missedTicks + 10);
    expect(uncovered.schedule.recentTicks.filter((t) => t.outcome === "missed")).toEqual([
      expect.objectContaining({ count: 10, from: iso(T + MINUTE) }),
    ]);
    // The next on-time tick after the gap ran as usual: the only run after the restart.
    expect(uncovered.schedule.recentTicks[0]).toMatchObject({
      outcome: "started",
      catchUp: false,
      scheduledAt: iso(T + 11 * MINUTE),
    });
    expect(uncovered.generation).toBe(before.uncovered.generation + 1);
  } finally {
    await second.stop();
  }
});
