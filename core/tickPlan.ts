/**
 * What one timer tick of a schedule asks for, from the last tick the job saw (kept in its coordinator's
 * state) and the tick's own times: which due ticks were missed for good, and whether a run is due now
 * (and whether it is a catch-up). Pure: the coordinator decides with it, and the starter predicts with it.
 *
 * A tick stands for its scheduled time T (core/cronSchedule.ts `scheduledTimeOf`). The ticks due after the
 * last one the job saw and before T never ticked (the host was down, the timer was late or skipped one):
 * - those inside the catch-up window (no older than `catchUpWindowMs` when this tick fired) run once,
 *   together with T: T's run is then a catch-up run that `covers` them;
 * - older ones are missed, and recorded as such (never dropped silently).
 * T itself runs if it is on time; if it is late (the host says it is past due, or it fired more than
 * `LATE_AFTER_MS` after T) it runs only inside the catch-up window, as a catch-up, else it is missed too.
 * A late first tick (the job never saw one) asks for nothing: the schedule began after T.
 */
import { nextAfter, occurrencesAfter, type CronSpec } from "./cronSchedule";

/** A tick that fires later than this after its scheduled time is late (a catch-up, or missed). */
export const LATE_AFTER_MS = 60_000;
/**
 * At most this many missed ticks are counted one by one (about 0.1 s of cron arithmetic); beyond it the
 * record says "at least". A minutely schedule reaches it after a week down.
 */
export const MAX_COUNTED_TICKS = 10_000;

export interface TickTime {
  /** The occurrence this tick stands for. */
  scheduledAt: number;
  /** When the timer fired (the host's clock), which tells how late the tick is. */
  firedAt: number;
  /** The host says the tick is past due (it fired after the host was down over its time). */
  pastDue?: boolean;
}

/** Consecutive occurrences of the schedule that were missed: the first one and how many. */
export interface MissedTicks {
  first: number;
  count: number;
  /** More than `count` were missed (counting stopped at MAX_COUNTED_TICKS). */
  atLeast?: boolean;
}

/** Neither `missed` nor `run`: the tick is not due (a late first tick), and changes nothing. */
export interface TickPlan {
  missed?: MissedTicks;
  /** The run this tick asks for: a catch-up when it stands for missed ticks too (`covers` earlier ones). */
  run?: { catchUp: boolean; covers: number };
}

/** The occurrences t with after < t < before: the first one and how many (at most MAX_COUNTED_TICKS). */
function between(spec: CronSpec, after: number, before: number): MissedTicks | undefined {
  let found: MissedTicks | undefined;
  for (const t of occurrencesAfter(spec, after)) {
    if (t >= before) break;
    if (!found) found = { first: t, count: 0 };
    if (found.count === MAX_COUNTED_TICKS) {
      found.atLeast = true;
      break;
    }
    found.count++;
  }
  return found;
}

export function planTick(
  spec: CronSpec,
  lastTick: number | undefined,
  tick: TickTime,
  catchUpWindowMs: number,
): TickPlan {
  const at = tick.scheduledAt;
  // Ticks due at or after this time may still run (once, as a catch-up).
  const cutoff = tick.firedAt - catchUpWindowMs;
  let missed: MissedTicks | undefined;
  let covers = 0;
  // The usual tick follows the last one directly: nothing in between to count.
  if (lastTick !== undefined && nextAfter(spec, lastTick) < at) {
    missed = between(spec, lastTick, Math.min(at, cutoff));
    covers = between(spec, Math.max(lastTick, cutoff - 1), at)?.count ?? 0;
  }
  const late = tick.pastDue === true || tick.firedAt - at > LATE_AFTER_MS;
  const plan: TickPlan = {};
  // The schedule's first tick, after its time (a heartbeat, a host started between two occurrences): the
  // schedule began after it, so it is not missed, and not run; the next occurrence is the first.
  if (lastTick === undefined && late) return plan;
  if (!late || at >= cutoff) {
    plan.run = { catchUp: late || covers > 0, covers };
  } else {
    // Late and out of the window: every tick before it is older still, so it ends the missed ones.
    missed = missed ? { ...missed, count: missed.count + 1 } : { first: at, count: 1 };
  }
  if (missed) plan.missed = missed;
  return plan;
}
