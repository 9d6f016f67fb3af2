/**
 * The job's run history: its last `MAX_RUNS` finished runs as compact records (every start decision
 * reads the whole entity state, so each record is a short tuple, like the events and request records),
 * and their expanded view for `GET /api/jobs/{jobName}`.
 */
import { MAX_DETAIL_CHARS, truncate } from "./boundedState";
import { instanceIdFor } from "./runIds";
import type { FinishedRun, JobState, Outcome, RunRecord } from "./types";

export const MAX_RUNS = 20;
/**
 * A run record keeps a short summary of why a run did not complete, as short as an event's detail (the
 * last run's full summary is in `lastFinished`; every run's own is in its orchestration's status).
 */
export const MAX_RUN_SUMMARY_CHARS = MAX_DETAIL_CHARS;

/** The record of a finished run: its summary only when it did not complete, its instance id only when fixed. */
export function runRecord(job: string, run: FinishedRun): RunRecord {
  const record: RunRecord = [
    run.generation,
    run.outcome,
    run.acquiredAt,
    run.finishedAt - run.acquiredAt,
    run.orchestrator,
  ];
  const summary =
    run.outcome !== "completed" && run.summary ? truncate(run.summary, MAX_RUN_SUMMARY_CHARS) : "";
  const fixed = run.instanceId === instanceIdFor(job, run.generation) ? undefined : run.instanceId;
  if (summary || fixed !== undefined) record.push(summary);
  if (fixed !== undefined) record.push(fixed);
  return record;
}

/** The state with `run` as its last finished run, appended to the bounded run history. */
export function withFinishedRun(state: JobState, run: FinishedRun): JobState {
  return {
    ...state,
    lastFinished: run,
    runs: [...(state.runs ?? []), runRecord(state.job, run)].slice(-MAX_RUNS),
  };
}

export interface RunView {
  generation: number;
  instanceId: string;
  orchestrator: string;
  outcome: Outcome;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  summary?: string;
  statusQueryGetUri: string;
}

/** The run history, newest first, with instance ids and status links. */
export function runsView(state: JobState, statusUrl: (instanceId: string) => string): RunView[] {
  return (state.runs ?? [])
    .map(([generation, outcome, startedAt, durationMs, orchestrator, summary, fixed]) => {
      const instanceId = instanceIdFor(state.job, generation, fixed);
      const view: RunView = {
        generation,
        instanceId,
        orchestrator,
        outcome,
        startedAt: new Date(startedAt).toISOString(),
        endedAt: new Date(startedAt + durationMs).toISOString(),
        durationMs,
        statusQueryGetUri: statusUrl(instanceId),
      };
      if (summary) view.summary = summary;
      return view;
    })
    .reverse();
}
