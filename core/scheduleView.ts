/**
 * A scheduled job's schedule as `GET /api/jobs/{jobName}` shows it: what it runs and how, its next due
 * times, its last tick, how many ticks were missed in all, and the ticks still in the job's events.
 */
import { isoSeconds, nextDueTimes } from "./cronSchedule";
import type { Schedule } from "./schedules";
import { tickEventView, type TickEventView } from "./tickEvents";
import type { JobState, TickOutcome } from "./types";

/** How many upcoming due times the view lists. */
export const NEXT_DUE_TIMES = 5;

export interface ScheduleView {
  schedule: string;
  timeZone: string;
  orchestrator: string;
  overlap: Schedule["overlap"];
  catchUpWindow: string | null;
  next: string[];
  lastTick: { scheduledAt: string; outcome: TickOutcome; catchUp: boolean } | null;
  /** Due ticks missed for good since the job's first tick (each also recorded as a `tick:missed` event). */
  missedTicks: number;
  /** The ticks still in the job's last events, newest first. */
  recentTicks: TickEventView[];
}

export function scheduleView(
  schedule: Schedule,
  state: JobState | undefined,
  now: number,
  nextCount = NEXT_DUE_TIMES,
): ScheduleView {
  const spec = { cron: schedule.schedule, timeZone: schedule.timeZone };
  const ticks = state?.ticks;
  return {
    schedule: schedule.schedule,
    timeZone: schedule.timeZone,
    orchestrator: schedule.orchestrator,
    overlap: schedule.overlap,
    catchUpWindow: schedule.catchUpWindow ?? null,
    next: nextDueTimes(spec, now, nextCount).map(isoSeconds),
    lastTick: ticks
      ? { scheduledAt: isoSeconds(ticks.last), outcome: ticks.outcome, catchUp: ticks.catchUp === true }
      : null,
    missedTicks: ticks?.missed ?? 0,
    recentTicks: (state?.events ?? [])
      .map(tickEventView)
      .filter((v): v is TickEventView => v !== undefined)
      .reverse(),
  };
}
