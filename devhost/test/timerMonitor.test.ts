/**
 * Schedule monitoring for timer triggers (the host's ScheduleMonitor / TimerListener in
 * azure-webjobs-sdk-extensions): a monitored timer's status survives a restart, and an occurrence that passed
 * while no host ran is made up once at startup, past due.
 *
 * "Time passing while the host is down": every host here runs on virtual time and starts at a chosen
 * `startTime`. Host A starts at 10:02:03 and is moved on with `advanceTime`; host B, on the same store, starts
 * at a later time than A's clock had reached when it stopped, which is what a host started after a while sees.
 * The clocks are real time plus an offset, so times taken from "now" (a startup run, LastUpdated) are bounded
 * rather than exact; occurrences are exact.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { MemoryStore } from "../src/durable/memoryStore";
import { SqliteStore } from "../src/durable/sqliteStore";
import type { DurableStore, ScheduleStatus } from "../src/durable/store";
import { startHost, type DevHost } from "../src/host";
import { NEVER, startupStatus, usesMonitor } from "../src/scheduleMonitor";
import { parseSchedule } from "../src/timerTriggers";
import { tempDataDir } from "./helpers/testStores";

const appDir = path.join(__dirname, "fixtures/monitor-app");
const at = (time: string): number => Date.parse(`2026-03-02T${time}Z`);
const iso = (time: string): string => new Date(at(time)).toISOString();

interface Run {
  name: string;
  at: number;
  isPastDue: boolean;
  status: { last: string; next: string; lastUpdated: string };
}
const runs = (name: string): Run[] =>
  ((globalThis as { __monitorFixture?: Run[] }).__monitorFixture ?? []).filter((r) => r.name === name);

describe("when a timer is monitored", () => {
  test("by default for schedules that recur at most once a minute (the host's test)", () => {
    const subMinute = (schedule: string): boolean => parseSchedule(schedule).subMinute;
    expect(subMinute("*/10 * * * * *")).toBe(true);
    expect(subMinute("0,30 * * * * *")).toBe(true);
    // "*/1" covers the whole field: NCrontab writes it back as "*", which is what the host looks at.
    expect(subMinute("*/10 */1 * * * *")).toBe(true);
    expect(subMinute("0 * * * * *")).toBe(false);
    expect(subMinute("0 */5 * * * *")).toBe(false);
    // A restricted minute, hour, day, month or weekday keeps monitoring on, however often it fires meanwhile.
    expect(subMinute("* 0 * * * *")).toBe(false);
    expect(subMinute("*/10 * 9-17 * * *")).toBe(false);
    expect(subMinute("*/10 * * * * 1-5")).toBe(false);
    expect(subMinute("*/10 * * * * 0-6")).toBe(true);
    expect(subMinute("00:00:30")).toBe(true);
    expect(subMinute("00:01:00")).toBe(false);
  });

  test("useMonitor turns it off, but cannot turn it on for a sub-minute schedule", () => {
    expect(usesMonitor(undefined, false)).toBe(true);
    expect(usesMonitor(true, false)).toBe(true);
    expect(usesMonitor(false, false)).toBe(false);
    expect(usesMonitor("False", false)).toBe(false);
    expect(usesMonitor(undefined, true)).toBe(false);
    expect(usesMonitor(true, true)).toBe(false);
  });
});

describe("startupStatus (the host's CheckPastDueAsync)", () => {
  const every5 = parseSchedule("0 */5 * * * *").next;
  const hourly = parseSchedule("0 0 * * * *").next;
  const ranAt1005: ScheduleStatus = {
    last: iso("10:05:00"),
    next: iso("10:10:00"),
    lastUpdated: iso("10:05:00.250"),
  };

  test("a timer without a status gets one: Next is the first occurrence after now", () => {
    expect(startupStatus(undefined, every5, at("10:02:03"))).toEqual({
      status: { last: NEVER, next: iso("10:05:00"), lastUpdated: iso("10:02:03") },
      nextAt: at("10:05:00"),
      changed: true,
      pastDue: false,
    });
  });

  test("an unchanged schedule keeps the stored status; past due once its Next has passed", () => {
    expect(startupStatus(ranAt1005, every5, at("10:09:59"))).toEqual({
      status: ranAt1005,
      nextAt: at("10:10:00"),
      changed: false,
      pastDue: false,
    });
    // Three occurrences missed: still one past-due run, of the stored Next.
    expect(startupStatus(ranAt1005, every5, at("10:22:31"))).toEqual({
      status: ranAt1005,
      nextAt: at("10:10:00"),
      changed: false,
      pastDue: true,
    });
    // A status the host itself wrote before the first run (Last = MinValue) reads the same way.
    const fresh = { last: NEVER, next: iso("10:05:00"), lastUpdated: iso("10:02:03") };
    expect(startupStatus(fresh, every5, at("10:06:00"))).toMatchObject({ status: fresh, pastDue: true });
  });

  test("a changed schedule is recomputed and never starts past due", () => {
    // The new schedule's occurrence after the last run is still ahead: it becomes Next, counted from that run.
    expect(startupStatus(ranAt1005, hourly, at("10:22:31"))).toEqual({
      status: { last: NEVER, next: iso("11:00:00"), lastUpdated: iso("10:05:00.250") },
      nextAt: at("11:00:00"),
      changed: true,
      pastDue: false,
    });
    // It has passed already: counted from now instead.
    expect(startupStatus(ranAt1005, hourly, at("11:30:00"))).toEqual({
      status: { last: NEVER, next: iso("12:00:00"), lastUpdated: iso("11:30:00") },
      nextAt: at("12:00:00"),
      changed: true,
      pastDue: false,
    });
  });

  test("an unreadable status is replaced", () => {
    const garbage = { last: "yesterday", next: "soon", lastUpdated: "" };
    expect(startupStatus(garbage, every5, at("10:22:31"))).toEqual({
      status: { last: NEVER, next: iso("10:25:00"), lastUpdated: iso("10:22:31") },
      nextAt: at("10:25:00"),
      changed: true,
      pastDue: false,
    });
  });
});

describe("timer triggers across host restarts", () => {
  const hosts: DevHost[] = [];

  async function start(store: DurableStore, startTime: number): Promise<DevHost> {
    const host = await startHost({ appDir, port: 0, virtualTime: true, startTime, store, log: false });
    hosts.push(host);
    await host.waitForIdle();
    return host;
  }

  async function advanceTo(host: DevHost, time: string): Promise<void> {
    await host.advanceTime(at(time) - host.clock.now());
  }

  beforeEach(() => {
    delete (globalThis as Record<string, unknown>).__monitorFixture;
    process.env.REPORT_SCHEDULE = "0 */5 * * * *";
  });

  afterEach(async () => {
    for (const host of hosts.splice(0)) await host.stop();
  });

  test("startTime needs virtual time", async () => {
    await expect(startHost({ appDir, port: 0, startTime: at("10:00:00"), log: false })).rejects.toThrow(
      "startTime needs virtualTime: true",
    );
  });

  /**
   * Host A runs `report` at 10:05 and stops; host B starts at 10:22:31 (10:10, 10:15 and 10:20 passed while
   * no host ran) on the store `reopen` gives.
   */
  async function missedWhileDown(storeA: DurableStore, reopen: () => DurableStore): Promise<void> {
    const a = await start(storeA, at("10:02:03"));
    expect(storeA.getScheduleStatus("report")).toEqual({
      last: NEVER,
      next: iso("10:05:00"),
      lastUpdated: expect.any(String),
    });
    await advanceTo(a, "10:05:00");
    expect(runs("report")).toMatchObject([{ isPastDue: false }]);
    const storedByA = storeA.getScheduleStatus("report") as ScheduleStatus;
    expect(storedByA).toMatchObject({ last: iso("10:05:00"), next: iso("10:10:00") });
    await a.stop();

    const storeB = reopen();
    expect(storeB.getScheduleStatus("report")).toEqual(storedByA);
    const b = await start(storeB, at("10:22:31"));
    const report = runs("report");
    expect(report).toHaveLength(2);
    // One run for the three missed occurrences, seeing the status A stored.
    expect(report[1]).toMatchObject({ isPastDue: true, status: storedByA });
    expect(report[1].at).toBeGreaterThanOrEqual(at("10:22:31"));

    // Then on schedule: its status now says it ran at startup, next at 10:25.
    const afterStartup = storeB.getScheduleStatus("report") as ScheduleStatus;
    expect(afterStartup.next).toBe(iso("10:25:00"));
    expect(Date.parse(afterStartup.last)).toBeGreaterThanOrEqual(at("10:22:31"));
    expect(Date.parse(afterStartup.last)).toBeLessThanOrEqual(report[1].at);
    await advanceTo(b, "10:24:59");
    expect(runs("report")).toHaveLength(2);
    await advanceTo(b, "10:25:00");
    expect(runs("report")).toHaveLength(3);
    expect(runs("report")[2]).toMatchObject({ isPastDue: false, status: afterStartup });
    expect(storeB.getScheduleStatus("report")).toMatchObject({
      last: iso("10:25:00"),
      next: iso("10:30:00"),
    });
  }

  test("a monitored timer due while the host was down runs once at startup, past due (same MemoryStore)", async () => {
    const store = new MemoryStore();
    await missedWhileDown(store, () => store);
  });

  test("a monitored timer due while the host was down runs once at startup, past due (SQLite reopened)", async () => {
    const dir = tempDataDir("devhost-timers-");
    try {
      // The Durable engine closes the store when host A stops; host B opens the same directory again.
      await missedWhileDown(new SqliteStore(dir), () => new SqliteStore(dir));
    } finally {
      for (const host of hosts.splice(0)) await host.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a timer not due while the host was down does not run at startup", async () => {
    const store = new MemoryStore();
    const a = await start(store, at("10:02:03"));
    const storedByA = store.getScheduleStatus("report");
    await a.stop();

    const b = await start(store, at("10:04:01"));
    expect(runs("report")).toEqual([]);
    expect(store.getScheduleStatus("report")).toEqual(storedByA);
    await advanceTo(b, "10:05:00");
    // The first run sees the status written when A first scheduled it.
    expect(runs("report")).toMatchObject([{ isPastDue: false, status: storedByA }]);
  });

  test("unmonitored timers (sub-minute, or useMonitor: false) are not made up after a restart", async () => {
    const store = new MemoryStore();
    const a = await start(store, at("10:02:03"));
    await advanceTo(a, "10:05:00");
    expect(runs("optedOut")).toHaveLength(1);
    const fastRuns = runs("fast").length;
    await a.stop();

    const b = await start(store, at("10:22:31"));
    expect(runs("optedOut")).toHaveLength(1);
    expect(runs("fast")).toHaveLength(fastRuns);
    expect(store.getScheduleStatus("optedOut")).toBeUndefined();
    expect(store.getScheduleStatus("fast")).toBeUndefined();
    // They go on from the new start as today: the next occurrence, not past due.
    await advanceTo(b, "10:25:00");
    expect(runs("optedOut")).toHaveLength(2);
    expect(runs("optedOut")[1]).toMatchObject({ isPastDue: false, status: { next: iso("10:25:00") } });
  });

  test("runOnStartup runs once at every start; when also past due, once, past due", async () => {
    const store = new MemoryStore();
    const a = await start(store, at("10:02:03"));
    expect(runs("hourly")).toMatchObject([
      { isPastDue: false, status: { last: NEVER, next: iso("11:00:00") } },
    ]);
    expect(store.getScheduleStatus("hourly")?.next).toBe(iso("11:00:00"));
    await a.stop();

    // 11:00 not reached: the ordinary startup run.
    const b = await start(store, at("10:40:01"));
    expect(runs("hourly")).toHaveLength(2);
    expect(runs("hourly")[1].isPastDue).toBe(false);
    await b.stop();

    // 11:00 passed while down: one run, past due.
    const c = await start(store, at("11:07:01"));
    expect(runs("hourly")).toHaveLength(3);
    expect(runs("hourly")[2]).toMatchObject({ isPastDue: true, status: { next: iso("11:00:00") } });
    expect(store.getScheduleStatus("hourly")?.next).toBe(iso("12:00:00"));
    await advanceTo(c, "12:00:00");
    expect(runs("hourly")).toHaveLength(4);
    expect(runs("hourly")[3].isPastDue).toBe(false);
  });

  test("a schedule changed while the host was down is recomputed, not run past due", async () => {
    const store = new MemoryStore();
    const a = await start(store, at("10:02:03"));
    await advanceTo(a, "10:05:00");
    await a.stop();

    // Every two minutes now: under it, the occurrence after the 10:05 run (10:06) has passed, so the host counts
    // from now.
    process.env.REPORT_SCHEDULE = "0 */2 * * * *";
    const b = await start(store, at("10:22:31"));
    expect(runs("report")).toHaveLength(1);
    const recomputed = store.getScheduleStatus("report") as ScheduleStatus;
    expect(recomputed).toMatchObject({ last: NEVER, next: iso("10:24:00") });
    expect(Date.parse(recomputed.lastUpdated)).toBeGreaterThanOrEqual(at("10:22:31"));
    await advanceTo(b, "10:24:00");
    expect(runs("report")[1]).toMatchObject({ isPastDue: false, status: recomputed });
  });

  test("the status is written after each run, a clock jump within one run included", async () => {
    const store = new MemoryStore();
    const a = await start(store, at("10:02:03"));
    await advanceTo(a, "10:05:00");
    expect(store.getScheduleStatus("report")).toMatchObject({ last: iso("10:05:00"), next: iso("10:10:00") });
    await advanceTo(a, "10:10:00");
    expect(store.getScheduleStatus("report")).toMatchObject({ last: iso("10:10:00"), next: iso("10:15:00") });
    const lastUpdated = Date.parse(store.getScheduleStatus("report")?.lastUpdated ?? "");
    expect(lastUpdated).toBeGreaterThanOrEqual(at("10:10:00"));
    expect(lastUpdated).toBeLessThanOrEqual(a.clock.now());

    // Over 10:15, 10:20 and 10:25 at once: one run, past due, as before; the status follows.
    await advanceTo(a, "10:27:00");
    expect(runs("report")).toHaveLength(3);
    expect(runs("report")[2]).toMatchObject({ isPastDue: true, status: { next: iso("10:15:00") } });
    expect(store.getScheduleStatus("report")).toMatchObject({ last: iso("10:15:00"), next: iso("10:30:00") });
    await a.stop();

    // Stored consistently: a restart before 10:30 sees an unchanged schedule and nothing due.
    const b = await start(store, at("10:28:01"));
    expect(runs("report")).toHaveLength(3);
    await advanceTo(b, "10:30:00");
    expect(runs("report")[3]).toMatchObject({ isPastDue: false, status: { last: iso("10:15:00") } });
  });
});
