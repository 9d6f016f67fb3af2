/**
 * Missed ticks across a real host restart, on the devhost's persistent store (a SqliteStore in a temporary
 * data directory, opened again by the second host).
 *
 * Two every-minute schedules, one with a 15-minute catch-up window and one without. Both tick on time at T;
 * the host stops 30 s later, and a new host starts on the same data (the app loaded afresh: only the store
 * carries the jobs' state over). The devhost has no option to start a host at a given virtual time, so the
 * new host's clock starts at real time, which is before T or just after it; nothing is due before the
 * test moves it to T+10:30, so T+1 .. T+10 never ticked while a host was up. The new host's timer then fires
 * once, past due (as the Functions host does after it was down, TimerListener.cs), and then on time at T+11.
 * The windowed job runs exactly one catch-up run standing for all ten and records none missed; the other
 * runs no catch-up and records the ten as missed, in one entry. Without the store (a fresh host knowing
 * nothing) the second host's first tick would be a late first tick, not due, and no catch-up would run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SqliteStore, startHost } from "durable-functions-devhost";
import { AppClient, REPO_ROOT } from "./appHost";
import { writeJobsFile } from "./scheduleHost";

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

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
beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "schedule-restart-"));
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

/** A host on the test's data directory (each host opens the store; it closes it when it stops). */
const startOnSameData = async () =>
  new AppClient(
    await startHost({
      appDir: REPO_ROOT,
      port: 0,
      virtualTime: true,
      log: false,
      store: new SqliteStore(dataDir),
    }),
  );

const job = async (app: AppClient, name: string) => {
  const reply = await app.jobState(name);
  expect([name, reply.status]).toEqual([name, 200]);
  return reply.body as unknown as ScheduledJob;
};

test("host stopped over 10 ticks: the restarted host runs one catch-up inside the window, none outside it, and records the missed ones", async () => {
  const first = await startOnSameData();
  let at: number;
  let before: Record<"covered" | "uncovered", ScheduledJob>;
  try {
    const now = first.host.clock.now();
    at = Math.floor(now / MINUTE) * MINUTE + MINUTE; // T
    await first.advance(at + 1000 - now);
    for (const name of ["covered", "uncovered"]) {
      expect([name, (await job(first, name)).schedule.recentTicks[0]]).toEqual([
        name,
        expect.objectContaining({ outcome: "started", catchUp: false, scheduledAt: iso(at) }),
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

  // Down over T+1 .. T+10; back at T+10:30 on the same data, then up to just after T+11.
  const second = await startOnSameData();
  try {
    // The job's state came back from the store.
    expect((await job(second, "covered")).schedule.lastTick).toMatchObject({ scheduledAt: iso(at) });
    expect(second.host.clock.now()).toBeLessThan(at + MINUTE); // nothing of the gap was ticked yet
    await second.advance(at + 10 * MINUTE + 30_000 - second.host.clock.now());
    await second.advance(at + 11 * MINUTE + 1000 - second.host.clock.now());

    const covered = await job(second, "covered");
    const newTicks = covered.schedule.recentTicks.filter((t) => t.scheduledAt !== iso(at));
    expect(newTicks.map((t) => [t.scheduledAt, t.outcome, t.catchUp])).toEqual([
      [iso(at + 11 * MINUTE), "started", false],
      [iso(at + 10 * MINUTE), "started", true],
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
      expect.objectContaining({ count: 10, from: iso(at + MINUTE) }),
    ]);
    // The next on-time tick after the gap ran as usual: the only run after the restart.
    expect(uncovered.schedule.recentTicks[0]).toMatchObject({
      outcome: "started",
      catchUp: false,
      scheduledAt: iso(at + 11 * MINUTE),
    });
    expect(uncovered.generation).toBe(before.uncovered.generation + 1);
  } finally {
    await second.stop();
  }
});
