/**
 * Scheduled jobs end to end on the devhost (virtual time, real HTTP, the compiled app):
 * - the same scheduled time fired 2-5 times at once (a second host, a retried timer) starts one run;
 * - a gap of 10 ticks (the clock jumps over them: the devhost fires the timer once, past due, as the
 *   Functions host does after it was down): one catch-up run when the window covers them, none when it
 *   does not, and the missed ticks recorded;
 * - a paused job records its ticks as paused;
 * - `GET /api/jobs/{name}` shows the schedule, its next due times and its recent ticks;
 * - a bad schedule stops the host from starting, with a message naming the schedule and the field.
 */
import { scheduleFunctionName } from "../../core/schedules";
import { AppClient, REPO_ROOT, startAppHost } from "./appHost";
import { fireTimer, writeJobsFile } from "./scheduleHost";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
const quick = { orchestrator: "reportJob", input: { items: 1 } };

interface TickView {
  at: string;
  outcome: string;
  catchUp: boolean;
  generation: number;
  scheduledAt?: string;
  covers?: number;
  count?: number;
  from?: string;
}
interface JobBody {
  generation: number;
  active?: { generation: number };
  runs: { generation: number; outcome: string }[];
  schedule: {
    schedule: string;
    overlap: string;
    catchUpWindow: string | null;
    timeZone: string;
    next: string[];
    lastTick: { scheduledAt: string; outcome: string; catchUp: boolean } | null;
    missedTicks: number;
    recentTicks: TickView[];
  };
}

describe("on one host", () => {
  let app: AppClient;
  const job = async (name: string) => (await app.jobState(name)).body as unknown as JobBody;
  /** Moves the clock to the next mark of `every` ms (plus `past`), firing what is due on the way. */
  const toNext = async (every: number, past = 0) => {
    const now = app.host.clock.now();
    const mark = Math.ceil(now / every) * every;
    await app.advance(mark + past - now);
    return mark;
  };

  beforeAll(async () => {
    const file = writeJobsFile({
      schedules: [
        { name: "hourly", schedule: "0 0 * * * *", ...quick },
        { name: "caught-up", schedule: "0 * * * * *", catchUpWindow: "00:15:00", ...quick },
        { name: "missed", schedule: "0 * * * * *", ...quick },
        { name: "paused", schedule: "0 * * * * *", overlap: "replace", ...quick },
        { name: "yearly", schedule: "0 0 0 1 1 *", timeZone: "Europe/Berlin", ...quick },
      ],
    });
    app = await AppClient.start({ env: { SINGLETON_JOBS_FILE: file } });
  });
  afterAll(() => app.stop());

  test("the same scheduled time fired 2-5 times at once starts one run", async () => {
    for (const firings of [2, 3, 4, 5]) {
      const before = await job("hourly");
      const now = app.host.clock.now();
      const mark = Math.floor(now / HOUR) * HOUR + HOUR;
      // The host's own timer fires at the mark; the other firings (a second host after a failover, a
      // retried timer) run at the same moment.
      app.host.clock.advance(mark - now);
      const extra = Array.from({ length: firings - 1 }, () =>
        fireTimer(app.host, scheduleFunctionName("hourly")),
      );
      await Promise.all(extra);
      await app.idle();
      const after = await job("hourly");
      expect(after.generation).toBe(before.generation + 1);
      expect(after.runs[0]).toMatchObject({ generation: after.generation, outcome: "completed" });
      const ticks = after.schedule.recentTicks.filter((t) => t.scheduledAt === iso(mark));
      expect(ticks).toEqual([expect.objectContaining({ outcome: "started", generation: after.generation })]);
      expect(after.schedule.lastTick).toEqual({ scheduledAt: iso(mark), outcome: "started", catchUp: false });
    }
    // One orchestration per scheduled time, never a second one.
    const instances = await app.get(`/runtime/webhooks/durabletask/instances?instanceIdPrefix=hourly:`);
    expect((instances.body as unknown as unknown[]).length).toBe((await job("hourly")).generation);
  });

  test("10 ticks jumped over: one catch-up run inside the window, none outside it, the missed ones recorded", async () => {
    const last = await toNext(MINUTE, 1000); // both jobs tick on time here
    expect((await job("caught-up")).schedule.lastTick).toMatchObject({
      scheduledAt: iso(last),
      outcome: "started",
    });
    const before = { caughtUp: await job("caught-up"), missed: await job("missed") };

    // The clock jumps over the next 10 minute marks: the timer fires once, past due, 30 s after the 10th.
    await app.advance(last + 10 * MINUTE + 30_000 - app.host.clock.now());
    const caughtUp = await job("caught-up");
    expect(caughtUp.generation).toBe(before.caughtUp.generation + 1);
    expect(caughtUp.schedule.lastTick).toEqual({
      scheduledAt: iso(last + 10 * MINUTE),
      outcome: "started",
      catchUp: true,
    });
    expect(caughtUp.schedule.recentTicks[0]).toMatchObject({
      outcome: "started",
      catchUp: true,
      scheduledAt: iso(last + 10 * MINUTE),
      covers: 9,
      generation: caughtUp.generation,
    });
    expect(caughtUp.schedule.missedTicks).toBe(before.caughtUp.schedule.missedTicks);

    const missed = await job("missed");
    expect(missed.generation).toBe(before.missed.generation); // nothing ran
    expect(missed.schedule.lastTick).toEqual({
      scheduledAt: iso(last + 10 * MINUTE),
      outcome: "missed",
      catchUp: false,
    });
    expect(missed.schedule.missedTicks).toBe(before.missed.schedule.missedTicks + 10);
    expect(missed.schedule.recentTicks[0]).toMatchObject({
      outcome: "missed",
      count: 10,
      from: iso(last + MINUTE),
    });

    // The next tick is on time: an ordinary run on both.
    const next = await toNext(MINUTE, 1000);
    for (const name of ["caught-up", "missed"]) {
      expect([name, (await job(name)).schedule.lastTick]).toEqual([
        name,
        { scheduledAt: iso(next), outcome: "started", catchUp: false },
      ]);
    }
  });

  test("a paused job records its ticks as paused and starts nothing; resumed, it runs again", async () => {
    await toNext(MINUTE, 1000);
    const before = await job("paused");
    expect((await app.post("/api/jobs/paused/pause", { reason: "maintenance", by: "ops" })).status).toBe(200);
    const marks = [await toNext(MINUTE, 1000), await toNext(MINUTE, 1000), await toNext(MINUTE, 1000)];
    const paused = await job("paused");
    expect(paused.generation).toBe(before.generation);
    expect(paused.schedule.recentTicks.slice(0, 3).reverse()).toEqual(
      marks.map((m) => expect.objectContaining({ outcome: "paused", catchUp: false, scheduledAt: iso(m) })),
    );
    expect((await app.post("/api/jobs/paused/resume", { by: "ops" })).status).toBe(200);
    const mark = await toNext(MINUTE, 1000);
    expect((await job("paused")).schedule.lastTick).toEqual({
      scheduledAt: iso(mark),
      outcome: "started",
      catchUp: false,
    });
  });

  test("GET /api/jobs/{name} shows the schedule and its next five due times, even before the first tick", async () => {
    const now = app.host.clock.now();
    const nextHour = Math.floor(now / HOUR) * HOUR + HOUR;
    expect((await job("hourly")).schedule).toMatchObject({
      schedule: "0 0 * * * *",
      overlap: "skip",
      catchUpWindow: null,
      timeZone: "UTC",
      next: [0, 1, 2, 3, 4].map((i) => iso(nextHour + i * HOUR)),
    });
    // A schedule that has not ticked yet is a known job: idle, with its first due times (New Year in Berlin).
    const year = new Date(now).getUTCFullYear();
    const yearly = await job("yearly");
    expect(yearly).toMatchObject({ generation: 0, runs: [] });
    expect(yearly.schedule).toMatchObject({
      timeZone: "Europe/Berlin",
      lastTick: null,
      missedTicks: 0,
      recentTicks: [],
      next: [1, 2, 3, 4, 5].map((i) => iso(Date.UTC(year + i - 1, 11, 31, 23))),
    });
    expect((await app.jobState("no-such-job")).status).toBe(404);
  });
});

describe("a bad schedule stops the host from starting, naming the schedule and the field", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "an invalid cron",
      { name: "bad-cron", schedule: "0 61 * * * *", ...quick },
      "jobs.json schedules[0] 'bad-cron' schedule: '0 61 * * * *' is invalid",
    ],
    [
      "an unknown orchestrator",
      { name: "bad-orchestrator", schedule: "0 * * * * *", orchestrator: "noSuchJob" },
      "jobs.json schedules[0] 'bad-orchestrator' orchestrator: 'noSuchJob' is not a registered singleton orchestrator",
    ],
    [
      "an unknown overlap policy",
      { name: "bad-policy", schedule: "0 * * * * *", overlap: "parallel", ...quick },
      "jobs.json schedules[0] 'bad-policy' overlap: 'parallel' is not one of skip, queue, replace",
    ],
    [
      "an input the orchestrator refuses",
      { name: "bad-input", schedule: "0 * * * * *", orchestrator: "reportJob", input: { items: 5000 } },
      "jobs.json schedules[0] 'bad-input' input.items: refused by 'reportJob'",
    ],
  ];
  test.each(cases)("%s", async (_what, schedule, message) => {
    process.env.SINGLETON_JOBS_FILE = writeJobsFile({ schedules: [schedule] });
    try {
      await expect(startAppHost({ appDir: REPO_ROOT, port: 0, log: false })).rejects.toThrow(message);
    } finally {
      delete process.env.SINGLETON_JOBS_FILE;
    }
  });
});
