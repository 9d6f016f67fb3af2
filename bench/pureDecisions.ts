/**
 * Section 1: the coordinator's decisions as pure functions (core/coordinator.ts), no host, no I/O.
 * The ceiling for everything else: an entity decision cannot be cheaper than this.
 */
import { initialState } from "../core/boundedState";
import { complete, confirm, tryStart } from "../core/coordinator";
import type { CoordinatorConfig, JobState } from "../core/types";
import { timeLoop, type PoolResult } from "./measure";

const CONFIG: CoordinatorConfig = { leaseMs: 60_000, maxQueue: 1 };

export interface PureParams {
  /** Decisions per benchmark. */
  decisions: number;
  jobs: number;
}

export interface PureResults {
  rejected: PoolResult;
  cycle: PoolResult;
  rejectedWithJson: PoolResult;
}

function freshStates(prefix: string, jobs: number): JobState[] {
  return Array.from({ length: jobs }, (_, j) => initialState(`${prefix}${j}`));
}

/** tryStart on held jobs: each request is rejected and recorded (the steady state under contention). */
function rejectedDecisions(params: PureParams, jsonRoundTrip: boolean): PoolResult {
  const states = freshStates("held-", params.jobs).map(
    (s) => tryStart(s, { requestId: "holder", orchestrator: "reportJob", policy: "reject" }, 0, CONFIG).state,
  );
  return timeLoop(params.decisions, (i) => {
    const j = i % params.jobs;
    // The entity binding gets the state as JSON and hands it back as JSON on every batch.
    const state = jsonRoundTrip ? (JSON.parse(JSON.stringify(states[j])) as JobState) : states[j];
    const req = { requestId: `r${i}`, orchestrator: "reportJob", policy: "reject" as const };
    states[j] = tryStart(state, req, i, CONFIG).state;
  });
}

/** A run's whole life in the coordinator: tryStart (accepted), confirm, complete. */
function startConfirmCompleteCycles(params: PureParams): PoolResult {
  const states = freshStates("cycle-", params.jobs);
  return timeLoop(params.decisions, (i) => {
    const j = i % params.jobs;
    const req = { requestId: `r${i}`, orchestrator: "reportJob", policy: "reject" as const };
    const started = tryStart(states[j], req, i, CONFIG);
    if (started.answer.kind !== "started") throw new Error(`cycle ${i}: expected started`);
    const { generation, instanceId } = started.answer;
    const confirmed = confirm(started.state, { generation, instanceId }, i);
    states[j] = complete(confirmed.state, { generation, outcome: "completed" }, i, CONFIG).state;
  });
}

export function runPureDecisions(params: PureParams): PureResults {
  // Warm-up so the measured loops run optimized code.
  const warm = { decisions: Math.min(20_000, params.decisions), jobs: params.jobs };
  rejectedDecisions(warm, false);
  startConfirmCompleteCycles(warm);
  rejectedDecisions({ ...warm, decisions: warm.decisions / 4 }, true);
  return {
    rejected: rejectedDecisions(params, false),
    cycle: startConfirmCompleteCycles(params),
    rejectedWithJson: rejectedDecisions({ ...params, decisions: Math.round(params.decisions / 4) }, true),
  };
}
