/**
 * Bounds that keep a job's entity state small forever (Durable moves state over ~16 KB to blobs and
 * slows down), and the helpers that enforce them.
 */
import type { Counters, EventRecord, JobState } from "./types";

export const MAX_EVENTS = 50;
export const MAX_SUMMARY_CHARS = 200;
export const MAX_DETAIL_CHARS = 40;
/** Hard ceiling for the configurable queue length. */
export const MAX_QUEUE_LIMIT = 3;
/** A queued request's input is stored in entity state, so it must be small. */
export const MAX_QUEUED_INPUT_BYTES = 512;

export function emptyCounters(): Counters {
  return {
    accepted: 0,
    rejected: 0,
    existing: 0,
    queued: 0,
    replaced: 0,
    completed: 0,
    failed: 0,
    reconciled: 0,
    released: 0,
    superseded: 0,
    stale: 0,
    leaseExpired: 0,
    outdated: 0,
  };
}

export function initialState(job: string): JobState {
  return { job, generation: 0, seq: 0, queue: [], counters: emptyCounters(), events: [], requests: [] };
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A short, bounded text for any output or error value. */
export function summarize(value: unknown, max = MAX_SUMMARY_CHARS): string | undefined {
  if (value === undefined) return undefined;
  let text: string;
  if (typeof value === "string") text = value;
  else if (value instanceof Error) text = value.message;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return truncate(text, max);
}

export function pushEvent(
  events: EventRecord[],
  at: number,
  type: string,
  generation: number,
  detail?: string,
): EventRecord[] {
  const record: EventRecord =
    detail === undefined
      ? [at, type, generation]
      : [at, type, generation, truncate(detail, MAX_DETAIL_CHARS)];
  return [...events, record].slice(-MAX_EVENTS);
}

export function stateSizeBytes(state: JobState): number {
  return Buffer.byteLength(JSON.stringify(state), "utf8");
}
