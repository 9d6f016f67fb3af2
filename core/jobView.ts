/**
 * The dashboard views of a job's state: the full view (`GET /api/jobs/{jobName}`, records expanded into
 * objects) and the one-line summary of every job (`GET /api/jobs?view=summary`).
 */
import { truncate } from "./boundedState";
import { MAX_RUN_SUMMARY_CHARS, runsView } from "./runHistory";
import type { ScheduleView } from "./scheduleView";
import type { Counters, JobState, Outcome, PauseInfo } from "./types";

/** What a job is doing, as the dashboard filters it: a pause or a waiting queue says more than the run. */
export const JOB_PHASES = ["idle", "starting", "running", "queued", "paused"] as const;
export type JobPhase = (typeof JOB_PHASES)[number];

export function phaseOf(state: JobState): JobPhase {
  if (state.paused) return "paused";
  if (state.queue.length > 0) return "queued";
  return state.active?.phase ?? "idle";
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrUndefined = (ms: number | undefined) => (ms === undefined ? undefined : iso(ms));

/** A pause as the API shows it. */
export function pauseView(p: PauseInfo): { since: string; by: string; reason?: string } {
  return p.reason === undefined
    ? { since: iso(p.since), by: p.by }
    : { since: iso(p.since), by: p.by, reason: p.reason };
}

/** The full view of a job; `schedule` is its schedule's view when the job is a scheduled one. */
export function jobView(state: JobState, statusUrl: (instanceId: string) => string, schedule?: ScheduleView) {
  return {
    job: state.job,
    phase: phaseOf(state),
    generation: state.generation,
    seq: state.seq,
    paused: state.paused && pauseView(state.paused),
    active: state.active && {
      generation: state.active.generation,
      instanceId: state.active.instanceId,
      orchestrator: state.active.orchestrator,
      phase: state.active.phase,
      requestId: state.active.requestId,
      acquiredAt: iso(state.active.acquiredAt),
      confirmedAt: isoOrUndefined(state.active.confirmedAt),
      leaseUntil: iso(state.active.leaseUntil),
      promoted: state.active.promoted ?? false,
      statusQueryGetUri: statusUrl(state.active.instanceId),
    },
    queue: state.queue.map((q) => ({
      requestId: q.requestId,
      orchestrator: q.orchestrator,
      queuedAt: iso(q.queuedAt),
    })),
    lastFinished: state.lastFinished && {
      ...state.lastFinished,
      acquiredAt: iso(state.lastFinished.acquiredAt),
      confirmedAt: isoOrUndefined(state.lastFinished.confirmedAt),
      finishedAt: iso(state.lastFinished.finishedAt),
      statusQueryGetUri: statusUrl(state.lastFinished.instanceId),
    },
    /** The last finished runs, newest first. */
    runs: runsView(state, statusUrl),
    counters: state.counters,
    events: state.events.map(([at, type, generation, detail]) => ({
      at: iso(at),
      type,
      generation,
      ...(detail === undefined ? {} : { detail }),
    })),
    recentRequests: state.requests.length,
    ...(schedule ? { schedule } : {}),
  };
}

export interface JobSummary {
  job: string;
  phase: JobPhase;
  paused?: { since: string; by: string; reason?: string };
  /** The active run: its phase, and since when it runs (confirmed) or was accepted. */
  holder?: {
    generation: number;
    instanceId: string;
    orchestrator: string;
    phase: "starting" | "running";
    since: string;
    statusQueryGetUri: string;
  };
  queued: number;
  last?: { generation: number; outcome: Outcome; finishedAt: string; summary?: string };
  counters: Counters;
}

/** One line of the job list: what a dashboard shows for every job without opening it. */
export function jobSummary(state: JobState, statusUrl: (instanceId: string) => string): JobSummary {
  const summary: JobSummary = {
    job: state.job,
    phase: phaseOf(state),
    queued: state.queue.length,
    counters: state.counters,
  };
  if (state.paused) summary.paused = pauseView(state.paused);
  const a = state.active;
  if (a) {
    summary.holder = {
      generation: a.generation,
      instanceId: a.instanceId,
      orchestrator: a.orchestrator,
      phase: a.phase,
      since: iso(a.confirmedAt ?? a.acquiredAt),
      statusQueryGetUri: statusUrl(a.instanceId),
    };
  }
  const last = state.lastFinished;
  if (last) {
    summary.last = { generation: last.generation, outcome: last.outcome, finishedAt: iso(last.finishedAt) };
    if (last.summary !== undefined) summary.last.summary = truncate(last.summary, MAX_RUN_SUMMARY_CHARS);
  }
  return summary;
}
