/**
 * The registry of job names (JavaScript Durable clients cannot list entities, so `GET /api/jobs` reads
 * this instead). It is split over `REGISTRY_SHARDS` entities by a hash of the name, so that registering
 * a new job touches a small state and new jobs do not all queue on one entity. Pure: the registry entity
 * is a thin binding around it.
 */
export const REGISTRY_SHARDS = 16;
export const MAX_JOBS_PER_SHARD = 2_000;

export interface RegistryState {
  jobs: string[];
  /** Names refused because the shard was full (so nothing is dropped silently). */
  overflow: number;
}

export function emptyRegistry(): RegistryState {
  return { jobs: [], overflow: 0 };
}

/** FNV-1a: a stable, cheap hash, so a name always lands in the same shard. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The registry entity key that holds this job name. */
export function registryShardOf(job: string): string {
  return `shard-${fnv1a(job) % REGISTRY_SHARDS}`;
}

export function registryShardKeys(): string[] {
  return Array.from({ length: REGISTRY_SHARDS }, (_, i) => `shard-${i}`);
}

/** Adds a job name, keeping the list sorted and free of duplicates; returns the same object when unchanged. */
export function addJob(state: RegistryState, job: string): RegistryState {
  let lo = 0;
  let hi = state.jobs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (state.jobs[mid] < job) lo = mid + 1;
    else hi = mid;
  }
  if (state.jobs[lo] === job) return state;
  if (state.jobs.length >= MAX_JOBS_PER_SHARD) return { ...state, overflow: state.overflow + 1 };
  return { ...state, jobs: [...state.jobs.slice(0, lo), job, ...state.jobs.slice(lo)] };
}

/** Merges the shards' states into one sorted list. */
export function mergeRegistries(shards: (RegistryState | undefined)[]): RegistryState {
  const jobs = shards.flatMap((s) => s?.jobs ?? []).sort();
  return { jobs, overflow: shards.reduce((n, s) => n + (s?.overflow ?? 0), 0) };
}
