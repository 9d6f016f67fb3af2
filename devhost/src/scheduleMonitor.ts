/**
 * Schedule monitoring for timer triggers, after the Functions host's ScheduleMonitor: a monitored timer keeps its
 * ScheduleStatus in the store (the occurrence that last ran, the next one, and the time that next one was counted
 * from), so that a host starting after that next occurrence passed while no host ran invokes the timer once, past
 * due, instead of waiting for the one after.
 *
 * The devhost counts a timer's next occurrence from the later of the occurrence that ran and the end of its
 * invocation, and stores that time as LastUpdated: under an unchanged schedule, Next is always
 * `next(max(Last, LastUpdated))`. The host's own records satisfy the same rule (its Last equals LastUpdated after a
 * run, and is DateTime.MinValue before the first one), so one check tells a changed schedule from an unchanged one.
 */
import type { DurableStore, ScheduleStatus } from "./durable/store";

/** The part of the store a timer's schedule monitor uses. */
export type ScheduleStatusStore = Pick<DurableStore, "getScheduleStatus" | "putScheduleStatus">;

/** DateTime.MinValue, what the host reports as `Last` before the first run. */
export const NEVER = "0001-01-01T00:00:00";

/** A status time in ms since the epoch; undefined for NEVER or anything unreadable. */
export function statusTime(value: unknown): number | undefined {
  if (typeof value !== "string" || value === NEVER) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Whether a timer is monitored: the binding's `useMonitor` (default true), but never for a schedule that recurs
 * more than once a minute, even with `useMonitor: true` (the host's TimerSchedule.Create turns it off either way:
 * the attribute cannot tell an explicit true from its default).
 */
export function usesMonitor(useMonitor: unknown, subMinute: boolean): boolean {
  const off =
    useMonitor === false || (typeof useMonitor === "string" && useMonitor.toLowerCase() === "false");
  return !off && !subMinute;
}

export interface StartupStatus {
  status: ScheduleStatus;
  /** `status.next` in ms: the occurrence to wait for, or (past due) the one that was missed. */
  nextAt: number;
  /** The status is not the stored one (there was none, or the schedule changed): store it. */
  changed: boolean;
  /** The stored next occurrence passed while no host ran: invoke once now, past due. */
  pastDue: boolean;
}

/**
 * What a monitored timer starts from at `now`, given its stored status (the host's CheckPastDueAsync). A timer with
 * no status gets one (Next: the first occurrence after now). A status whose Next is not what the current schedule
 * gives (the schedule, or the time zone, changed) is recomputed under the current schedule, from now if that
 * occurrence is already past, so a changed schedule never starts past due; its Last is reset to NEVER.
 */
export function startupStatus(
  stored: ScheduleStatus | undefined,
  next: (afterMs: number) => number,
  now: number,
): StartupStatus {
  if (!stored) {
    const nextAt = next(now);
    const status = { last: NEVER, next: isoTime(nextAt), lastUpdated: isoTime(now) };
    return { status, nextAt, changed: true, pastDue: false };
  }
  const known = [statusTime(stored.last), statusTime(stored.lastUpdated)].filter(
    (t): t is number => t !== undefined,
  );
  let from = known.length > 0 ? Math.max(...known) : now;
  let nextAt = next(from);
  if (statusTime(stored.next) === nextAt)
    return { status: stored, nextAt, changed: false, pastDue: now > nextAt };
  if (now > nextAt) {
    from = now;
    nextAt = next(now);
  }
  const status = { last: NEVER, next: isoTime(nextAt), lastUpdated: isoTime(from) };
  return { status, nextAt, changed: true, pastDue: false };
}
