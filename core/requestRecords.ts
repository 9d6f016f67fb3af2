/**
 * The records of decisions that changed a job, by request id (the last `MAX_REQUESTS`). Rejections and
 * useExisting answers change nothing and are not kept, so a storm of losing requests cannot push the
 * winner's record out. Every start decision reads the whole entity state, so records are compact:
 * `[requestId, "s", generation]` for a start, `[requestId, "l", generation]` for a release, each followed
 * by the instance id only when it is fixed (seed route) rather than `<job>:<generation>`;
 * `[requestId, "p" | "u", generation]` for a pause or a resume.
 */
import { instanceIdFor } from "./runIds";
import type { Decision, JobState, RequestRecord, RunRef } from "./types";

export const MAX_REQUESTS = 32;

function without(requests: RequestRecord[], requestId: string): RequestRecord[] {
  return requests.filter((r) => r[0] !== requestId);
}

function record(
  state: JobState,
  requestId: string,
  code: RequestRecord[1],
  generation: number,
  instanceId: string,
): RequestRecord[] {
  const entry: RequestRecord = [requestId, code, generation];
  if (instanceId !== instanceIdFor(state.job, generation)) entry.push(instanceId);
  return [...without(state.requests, requestId), entry].slice(-MAX_REQUESTS);
}

/** Records that `requestId` got run `generation` (replacing an earlier record of the same id). */
export function recordStart(state: JobState, requestId: string, generation: number, instanceId: string) {
  return record(state, requestId, "s", generation, instanceId);
}

/** Records that the release request `requestId` released run `generation`. */
export function recordRelease(state: JobState, requestId: string, generation: number, instanceId: string) {
  return record(state, requestId, "l", generation, instanceId);
}

/** Records that the request `requestId` paused the job (at the job's current generation). */
export function recordPause(state: JobState, requestId: string) {
  return record(state, requestId, "p", state.generation, instanceIdFor(state.job, state.generation));
}

/** Records that the request `requestId` resumed the job. */
export function recordResume(state: JobState, requestId: string) {
  return record(state, requestId, "u", state.generation, instanceIdFor(state.job, state.generation));
}

/** Forgets a request id (its run was abandoned: the same request may be decided afresh). */
export function forgetRequest(requests: RequestRecord[], requestId: string): RequestRecord[] {
  return requests.some((r) => r[0] === requestId) ? without(requests, requestId) : requests;
}

function findRecord(state: JobState, requestId: string, code: RequestRecord[1]): RequestRecord | undefined {
  for (let i = state.requests.length - 1; i >= 0; i--) {
    const r = state.requests[i];
    if (r[0] === requestId) return r[1] === code ? r : undefined;
  }
  return undefined;
}

function holderOrLast(state: JobState) {
  const run = state.active ?? state.lastFinished;
  return {
    generation: run?.generation ?? 0,
    instanceId: run?.instanceId ?? "",
    phase: state.active?.phase ?? ("running" as const),
    orchestrator: run?.orchestrator ?? "",
  };
}

/**
 * The standing decision for a start request id, if the job has one: its run is active, it waits in the
 * queue, or a recorded run was handed to it. Such a decision is final: a retry gets it again.
 */
export function findStartDecision(state: JobState, requestId: string): Decision | undefined {
  const active = state.active;
  if (active?.requestId === requestId) {
    return active.replaces
      ? {
          kind: "started",
          generation: active.generation,
          instanceId: active.instanceId,
          replaced: active.replaces,
        }
      : { kind: "started", generation: active.generation, instanceId: active.instanceId };
  }
  const position = state.queue.findIndex((q) => q.requestId === requestId);
  if (position >= 0) return { kind: "queued", position: position + 1, holder: holderOrLast(state) };
  const record = findRecord(state, requestId, "s");
  if (!record) return undefined;
  const [, , generation, fixed] = record;
  return { kind: "started", generation, instanceId: instanceIdFor(state.job, generation, fixed) };
}

/** The run a release request released, if the job recorded it. */
export function findRelease(state: JobState, requestId: string): RunRef | undefined {
  const record = findRecord(state, requestId, "l");
  if (!record) return undefined;
  const [, , generation, fixed] = record;
  return { generation, instanceId: instanceIdFor(state.job, generation, fixed) };
}

/** Whether the request `requestId` paused the job (it is recorded among the job's last decisions). */
export function pausedBy(state: JobState, requestId: string): boolean {
  return findRecord(state, requestId, "p") !== undefined;
}

/** Whether the request `requestId` resumed the job. */
export function resumedBy(state: JobState, requestId: string): boolean {
  return findRecord(state, requestId, "u") !== undefined;
}
