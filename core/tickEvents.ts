/**
 * How a schedule's ticks are recorded in the job's bounded events (compact, like every event), and read
 * back for `GET /api/jobs/{jobName}`:
 * - `[at, "tick:<outcome>", generation, "<T>"]` for a tick at its time (outcome: started, skipped,
 *   queued, replaced, paused), `"catchUp:<outcome>"` for a catch-up run, whose detail `"<T> +k"` says it
 *   stands for k earlier missed ticks too;
 * - `[at, "tick:missed", generation, "<n> from <first>"]` for n consecutive occurrences that were missed
 *   for good ("<n>+" when counting stopped); T is ISO 8601 to the second.
 * `generation` is the run the tick started, or the holder that kept it waiting or skipped it.
 */
import { isoSeconds } from "./cronSchedule";
import type { MissedTicks } from "./tickPlan";
import type { EventRecord, TickOutcome } from "./types";

export function tickEventType(outcome: TickOutcome, catchUp: boolean): string {
  return `${catchUp ? "catchUp" : "tick"}:${outcome}`;
}

export function tickDetail(scheduledAt: number, covers: number): string {
  return covers > 0 ? `${isoSeconds(scheduledAt)} +${covers}` : isoSeconds(scheduledAt);
}

export function missedDetail(missed: MissedTicks): string {
  return `${missed.count}${missed.atLeast ? "+" : ""} from ${isoSeconds(missed.first)}`;
}

export interface TickEventView {
  at: string;
  outcome: TickOutcome;
  catchUp: boolean;
  generation: number;
  /** The tick's scheduled time (absent for missed ticks). */
  scheduledAt?: string;
  /** A catch-up run: how many earlier missed ticks it stands for too. */
  covers?: number;
  /** Missed ticks: how many (at least, when `atLeast`) and the first one. */
  count?: number;
  atLeast?: boolean;
  from?: string;
}

const TICK_TYPE = /^(tick|catchUp):(started|skipped|queued|replaced|paused|missed)$/;

/** A tick event as the API shows it; undefined for any other event. */
export function tickEventView([at, type, generation, detail = ""]: EventRecord): TickEventView | undefined {
  const m = TICK_TYPE.exec(type);
  if (!m) return undefined;
  const view: TickEventView = {
    at: new Date(at).toISOString(),
    outcome: m[2] as TickOutcome,
    catchUp: m[1] === "catchUp",
    generation,
  };
  if (view.outcome === "missed") {
    const missed = /^(\d+)(\+?) from (\S+)$/.exec(detail);
    if (missed) {
      view.count = Number(missed[1]);
      if (missed[2]) view.atLeast = true;
      view.from = missed[3];
    }
    return view;
  }
  const [scheduledAt, covers] = detail.split(" +");
  if (scheduledAt) view.scheduledAt = scheduledAt;
  if (covers !== undefined) view.covers = Number(covers);
  return view;
}
