/** The dashboard view of a job's state (`GET /api/jobs/{jobName}`): records expanded into objects. */
import type { JobState } from "./types";

export function jobView(state: JobState, statusUrl: (instanceId: string) => string) {
  return {
    job: state.job,
    generation: state.generation,
    seq: state.seq,
    active: state.active && {
      generation: state.active.generation,
      instanceId: state.active.instanceId,
      orchestrator: state.active.orchestrator,
      phase: state.active.phase,
      requestId: state.active.requestId,
      acquiredAt: new Date(state.active.acquiredAt).toISOString(),
      confirmedAt:
        state.active.confirmedAt === undefined ? undefined : new Date(state.active.confirmedAt).toISOString(),
      leaseUntil: new Date(state.active.leaseUntil).toISOString(),
      promoted: state.active.promoted ?? false,
      statusQueryGetUri: statusUrl(state.active.instanceId),
    },
    queue: state.queue.map((q) => ({
      requestId: q.requestId,
      orchestrator: q.orchestrator,
      queuedAt: new Date(q.queuedAt).toISOString(),
    })),
    lastFinished: state.lastFinished && {
      ...state.lastFinished,
      acquiredAt: new Date(state.lastFinished.acquiredAt).toISOString(),
      confirmedAt:
        state.lastFinished.confirmedAt === undefined
          ? undefined
          : new Date(state.lastFinished.confirmedAt).toISOString(),
      finishedAt: new Date(state.lastFinished.finishedAt).toISOString(),
      statusQueryGetUri: statusUrl(state.lastFinished.instanceId),
    },
    counters: state.counters,
    events: state.events.map(([at, type, generation, detail]) => ({
      at: new Date(at).toISOString(),
      type,
      generation,
      ...(detail === undefined ? {} : { detail }),
    })),
    recentRequests: state.requests.length,
  };
}
