/**
 * Missed ticks across a real host restart, for when the devhost keeps its state across one (the
 * persistent store of issue 8). Not a test file (jest does not pick it up, and nothing here is skipped):
 * a test calls `missedTicksAcrossARestart` with a function that starts a devhost on the same data each
 * time, e.g.
 *
 *   test("missed ticks across a restart", () =>
 *     missedTicksAcrossARestart(() => startHost({ appDir: REPO_ROOT, port: 0, virtualTime: true, log: false, <same store> })));
 *
 * The scenario: two every-minute schedules, one with a 15-minute catch-up window and one without. Both
 * tick on time at T; the host stops 30 s later and a new one starts on the same data with its clock 10
 * minutes on (T+1 .. T+10 never ticked). Then, whether the new host fires one past-due tick at startup
 * (as the Functions host does with its schedule monitor, TimerListener.cs) or only its next occurrence
 * (as the devhost's timers do today): the windowed job runs exactly one catch-up run standing for all ten,
 * and records none missed; the other runs no catch-up and records the ten as missed.
 */
import type { DevHost } from "durable-functions-devhost";
import { AppClient } from "./appHost";
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
}
interface ScheduledJob {
  generation: number;
  schedule: { missedTicks: number; recentTicks: TickView[] };
}

export async function missedTicksAcrossARestart(startOnSameData: () => Promise<DevHost>): Promise<void> {
  const quick = { orchestrator: "reportJob", input: { items: 1 }, schedule: "0 * * * * *" };
  process.env.SINGLETON_JOBS_FILE = writeJobsFile({
    schedules: [
      { name: "covered", catchUpWindow: "00:15:00", ...quick },
      { name: "uncovered", ...quick },
    ],
  });
  const job = async (app: AppClient, name: string) =>
    (await app.jobState(name)).body as unknown as ScheduledJob;

  const first = new AppClient(await startOnSameData());
  const now = first.host.clock.now();
  const at = Math.floor(now / MINUTE) * MINUTE + MINUTE; // T
  await first.advance(at + 1000 - now);
  for (const name of ["covered", "uncovered"]) {
    expect((await job(first, name)).schedule.recentTicks[0]).toMatchObject({
      outcome: "started",
      scheduledAt: iso(at),
    });
  }
  await first.advance(29_000);
  const before = { covered: await job(first, "covered"), uncovered: await job(first, "uncovered") };
  await first.stop();

  // Down over T+1 .. T+10; back at T+10:30 on the same data, then up to just after T+11.
  const second = new AppClient(await startOnSameData());
  try {
    await second.advance(Math.max(0, at + 10 * MINUTE + 30_000 - second.host.clock.now()));
    await second.advance(at + 11 * MINUTE + 1000 - second.host.clock.now());

    const covered = await job(second, "covered");
    const newTicks = covered.schedule.recentTicks.filter((t) => t.scheduledAt !== iso(at));
    const catchUps = newTicks.filter((t) => t.catchUp);
    expect(catchUps).toHaveLength(1);
    const [catchUp] = catchUps;
    expect(catchUp.outcome).toBe("started");
    // It stands for all ten missed ticks: for T+10 and the 9 before it (a past-due tick at startup), or
    // for T+11 and the 10 before it (the next occurrence).
    const ranFor = Date.parse(catchUp.scheduledAt as string);
    expect([at + 10 * MINUTE, at + 11 * MINUTE]).toContain(ranFor);
    expect(ranFor === at + 10 * MINUTE ? (catchUp.covers ?? 0) + 1 : catchUp.covers).toBe(10);
    expect(covered.schedule.missedTicks).toBe(before.covered.schedule.missedTicks);

    const uncovered = await job(second, "uncovered");
    expect(uncovered.schedule.recentTicks.filter((t) => t.catchUp)).toEqual([]);
    expect(uncovered.schedule.missedTicks).toBe(before.uncovered.schedule.missedTicks + 10);
    expect(uncovered.schedule.recentTicks.filter((t) => t.outcome === "missed")).toEqual([
      expect.objectContaining({ count: 10, from: iso(at + MINUTE) }),
    ]);
    // The next on-time tick after the gap ran as usual.
    expect(uncovered.schedule.recentTicks[0]).toMatchObject({
      outcome: "started",
      catchUp: false,
      scheduledAt: iso(at + 11 * MINUTE),
    });
  } finally {
    await second.stop();
    delete process.env.SINGLETON_JOBS_FILE;
  }
}
