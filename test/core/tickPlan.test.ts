/**
 * Which occurrence a timer firing stands for, and what a tick asks for after a gap: missed ticks, catch-up
 * runs and late ticks, exactly.
 */
import { EARLY_FIRE_MS, latestAtOrBefore, nextDueTimes, scheduledTimeOf } from "../../core/cronSchedule";
import { LATE_AFTER_MS, MAX_COUNTED_TICKS, planTick } from "../../core/tickPlan";

const MINUTE = 60_000;
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const minutely = { cron: "0 * * * * *", timeZone: "UTC" };
const at = (minutes: number, ms = 0) => T0 + minutes * MINUTE + ms;

test("a firing stands for the occurrence at or before it, or the next one when it fired just before it", () => {
  expect(scheduledTimeOf(minutely, at(5))).toBe(at(5));
  expect(scheduledTimeOf(minutely, at(5, 30_000))).toBe(at(5));
  expect(scheduledTimeOf(minutely, at(5, 58_999))).toBe(at(5));
  expect(scheduledTimeOf(minutely, at(6, -EARLY_FIRE_MS))).toBe(at(6)); // early by the clock skew allowed
  // Every second: a firing stands for the nearer second (half the gap bounds how early a firing may be).
  const everySecond = { cron: "* * * * * *", timeZone: "UTC" };
  expect(scheduledTimeOf(everySecond, at(0, 400))).toBe(at(0));
  expect(scheduledTimeOf(everySecond, at(0, 600))).toBe(at(0, 1000));
});

test("occurrences are read in the schedule's zone, across daylight saving time", () => {
  const twoThirtyBerlin = { cron: "0 30 2 * * *", timeZone: "Europe/Berlin" };
  // 2030-03-31 is the spring-forward day in Europe: 02:30 does not exist and runs at 03:30 CEST.
  expect(
    nextDueTimes(twoThirtyBerlin, Date.UTC(2030, 2, 29, 12), 3).map((t) => new Date(t).toISOString()),
  ).toEqual(["2030-03-30T01:30:00.000Z", "2030-03-31T01:30:00.000Z", "2030-04-01T00:30:00.000Z"]);
  expect(latestAtOrBefore(twoThirtyBerlin, Date.UTC(2030, 3, 1, 0, 30))).toBe(Date.UTC(2030, 3, 1, 0, 30));
});

test("an on-time tick right after the last one runs, nothing missed", () => {
  expect(planTick(minutely, at(4), { scheduledAt: at(5), firedAt: at(5, 20) }, 0)).toEqual({
    run: { catchUp: false, covers: 0 },
  });
  // The job's first tick ever: nothing can have been missed.
  expect(planTick(minutely, undefined, { scheduledAt: at(5), firedAt: at(5) }, 0)).toEqual({
    run: { catchUp: false, covers: 0 },
  });
});

test("ticks that never fired between the last one and this one: missed without a window, covered inside it", () => {
  // Last tick 12:00, this one 12:11 on time: 12:01..12:10 never ticked.
  const tick = { scheduledAt: at(11), firedAt: at(11) };
  expect(planTick(minutely, at(0), tick, 0)).toEqual({
    missed: { first: at(1), count: 10 },
    run: { catchUp: false, covers: 0 },
  });
  expect(planTick(minutely, at(0), tick, 15 * MINUTE)).toEqual({ run: { catchUp: true, covers: 10 } });
  // A 5-minute window: 12:06..12:10 are covered by this run, 12:01..12:05 are missed.
  expect(planTick(minutely, at(0), tick, 5 * MINUTE)).toEqual({
    missed: { first: at(1), count: 5 },
    run: { catchUp: true, covers: 5 },
  });
});

test("a past-due tick after the host was down over 10 ticks: one catch-up inside the window, else 10 missed", () => {
  // Down from 12:00:30 to 12:10:30; the host fires once, past due, at 12:10:30 for 12:10.
  const tick = { scheduledAt: at(10), firedAt: at(10, 30_000), pastDue: true };
  expect(planTick(minutely, at(0), tick, 15 * MINUTE)).toEqual({ run: { catchUp: true, covers: 9 } });
  expect(planTick(minutely, at(0), tick, 0)).toEqual({ missed: { first: at(1), count: 10 } });
  // A window that reaches back only 3 minutes: 12:08..12:10 run once, 12:01..12:07 are missed.
  expect(planTick(minutely, at(0), tick, 3 * MINUTE)).toEqual({
    missed: { first: at(1), count: 7 },
    run: { catchUp: true, covers: 2 },
  });
});

test("a tick that fires more than LATE_AFTER_MS after its time is late even if the host does not say so", () => {
  const hourly = { cron: "0 0 * * * *", timeZone: "UTC" };
  const onTime = { scheduledAt: at(60), firedAt: at(60) + LATE_AFTER_MS };
  expect(planTick(hourly, at(0), onTime, 0)).toEqual({ run: { catchUp: false, covers: 0 } });
  const late = { scheduledAt: at(60), firedAt: at(60) + LATE_AFTER_MS + 1 };
  expect(planTick(hourly, at(0), late, 0)).toEqual({ missed: { first: at(60), count: 1 } });
  expect(planTick(hourly, at(0), late, 2 * MINUTE)).toEqual({ run: { catchUp: true, covers: 0 } });
});

test("a late first tick (the job never saw one) asks for nothing: the schedule began after it", () => {
  expect(
    planTick(minutely, undefined, { scheduledAt: at(5), firedAt: at(5, 30_000), pastDue: true }, 0),
  ).toEqual({});
  const daily = { cron: "0 0 2 * * *", timeZone: "UTC" };
  // A heartbeat at 14:00 for a 02:00 schedule that never ticked: 02:00 was before the schedule existed.
  expect(planTick(daily, undefined, { scheduledAt: at(-600), firedAt: at(120) }, 60 * MINUTE)).toEqual({});
});

test("counting stops at MAX_COUNTED_TICKS and says 'at least'", () => {
  const gap = MAX_COUNTED_TICKS + 500;
  expect(planTick(minutely, at(0), { scheduledAt: at(gap), firedAt: at(gap) }, 2 * MINUTE)).toEqual({
    missed: { first: at(1), count: MAX_COUNTED_TICKS, atLeast: true },
    run: { catchUp: true, covers: 2 },
  });
});
