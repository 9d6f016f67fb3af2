import * as path from "node:path";
import { startHost, type DevHost } from "../src/host";
import { parseSchedule } from "../src/timerTriggers";
import { createStubEngine } from "./stubEngine";

const appDir = path.join(__dirname, "fixtures/runtime-app");
const FIVE_MINUTES = 5 * 60_000;

interface Tick {
  at: number;
  isPastDue: boolean;
  status: { last: string; next: string; lastUpdated: string };
}
interface FixtureState {
  ticks: Tick[];
  startups: number;
  startupTimer: { isPastDue: boolean; schedule: { adjustForDST: boolean }; scheduleStatus: { last: string } };
}
const fixture = (): FixtureState =>
  (globalThis as unknown as { __runtimeFixture: FixtureState }).__runtimeFixture;

describe("parseSchedule", () => {
  test("reads six-field NCRONTAB in UTC", () => {
    const s = parseSchedule("0 */5 * * * *");
    expect(new Date(s.next(Date.parse("2024-01-01T10:02:03Z"))).toISOString()).toBe(
      "2024-01-01T10:05:00.000Z",
    );
    expect(s.next(Date.parse("2024-01-01T10:05:00Z"))).toBe(Date.parse("2024-01-01T10:10:00Z"));
    const weekdays = parseSchedule("30 0 9 * * 1-5");
    expect(new Date(weekdays.next(Date.parse("2024-01-06T12:00:00Z"))).toISOString()).toBe(
      "2024-01-08T09:00:30.000Z",
    );
  });

  test("reads TimeSpan intervals and %APP_SETTING% references", () => {
    expect(parseSchedule("00:00:30").next(1000)).toBe(31_000);
    expect(parseSchedule("1.00:00:00").next(0)).toBe(86_400_000);
    expect(parseSchedule("%MY_SCHEDULE%", { MY_SCHEDULE: "0 0 * * * *" }).text).toBe("0 0 * * * *");
  });

  test("rejects five-field cron and garbage", () => {
    expect(() => parseSchedule("*/5 * * * *")).toThrow(/expected 6 fields/);
    expect(() => parseSchedule("%UNSET_SCHEDULE_SETTING%")).toThrow();
  });
});

describe("timer triggers on the host clock", () => {
  let host: DevHost;

  beforeEach(async () => {
    delete (globalThis as Record<string, unknown>).__runtimeFixture;
    process.env.TICK_SCHEDULE = "0 */5 * * * *";
    host = await startHost({
      appDir,
      port: 0,
      virtualTime: true,
      createEngine: createStubEngine().factory,
      log: false,
    });
    await host.waitForIdle();
  });

  afterEach(async () => {
    await host.stop();
  });

  function firstTick(): number {
    return Math.ceil((host.clock.now() + 1) / FIVE_MINUTES) * FIVE_MINUTES;
  }

  test("runOnStartup functions run once at start, not past due", () => {
    expect(fixture().startups).toBe(1);
    expect(fixture().startupTimer).toMatchObject({
      isPastDue: false,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: "0001-01-01T00:00:00" },
    });
    expect(fixture().ticks).toEqual([]);
  });

  test("advancing the clock fires exactly the ticks that became due", async () => {
    const first = firstTick();
    await host.advanceTime(first - host.clock.now() - 1000);
    expect(fixture().ticks).toHaveLength(0);

    await host.advanceTime(first - host.clock.now());
    expect(fixture().ticks).toHaveLength(1);
    expect(fixture().ticks[0].isPastDue).toBe(false);
    expect(fixture().ticks[0].at).toBeGreaterThanOrEqual(first);
    expect(fixture().ticks[0].status.next).toBe(new Date(first).toISOString());
    expect(fixture().ticks[0].status.last).toBe("0001-01-01T00:00:00");

    await host.advanceTime(FIVE_MINUTES);
    expect(fixture().ticks).toHaveLength(2);
    expect(fixture().ticks[1]).toMatchObject({
      isPastDue: false,
      status: { last: new Date(first).toISOString(), next: new Date(first + FIVE_MINUTES).toISOString() },
    });
    expect(fixture().startups).toBe(1);
  });

  test("jumping over several occurrences runs one past-due invocation", async () => {
    const first = firstTick();
    await host.advanceTime(first - host.clock.now() + 3 * FIVE_MINUTES);
    expect(fixture().ticks).toHaveLength(1);
    expect(fixture().ticks[0].isPastDue).toBe(true);

    // The schedule continues from the clock's new "now".
    await host.advanceTime(FIVE_MINUTES);
    expect(fixture().ticks).toHaveLength(2);
    expect(fixture().ticks[1].isPastDue).toBe(false);
    expect(fixture().ticks[1].status.next).toBe(new Date(first + 4 * FIVE_MINUTES).toISOString());
  });

  test("timers stop with the host", async () => {
    await host.stop();
    host.clock.advance(10 * FIVE_MINUTES);
    expect(fixture().ticks).toHaveLength(0);
  });
});
