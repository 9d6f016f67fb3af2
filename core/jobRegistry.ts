/**
 * The registry of job names (JavaScript Durable clients cannot list entities, so `GET /api/jobs` reads
 * this instead). Pure: the registry entity is a thin binding around it.
 */
export const MAX_REGISTERED_JOBS = 10_000;

export interface RegistryState {
  jobs: string[];
  /** Names refused because the registry was full (so nothing is dropped silently). */
  overflow: number;
}

export function emptyRegistry(): RegistryState {
  return { jobs: [], overflow: 0 };
}

/** Adds a job name, keeping the list sorted and free of duplicates. */
export function addJob(state: RegistryState, job: string): RegistryState {
  let lo = 0;
  let hi = state.jobs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (state.jobs[mid] < job) lo = mid + 1;
    else hi = mid;
  }
  if (state.jobs[lo] === job) return state;
  if (state.jobs.length >= MAX_REGISTERED_JOBS) return { ...state, overflow: state.overflow + 1 };
  return { ...state, jobs: [...state.jobs.slice(0, lo), job, ...state.jobs.slice(lo)] };
}
