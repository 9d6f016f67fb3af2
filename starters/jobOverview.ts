/**
 * The one-line summaries of many jobs for `GET /api/jobs?view=summary` (the dashboard's job list). The
 * JavaScript client cannot query entities, so each job's state is one read (over the binding's keep-alive
 * pool); they run at most `READ_CONCURRENCY` at a time, so a page of a thousand jobs is one HTTP request
 * for the browser and a bounded burst of reads for the backend, not a thousand requests from the page.
 */
import type { CoordinatorClient } from "../core/coordinatorClient";
import { jobSummary, type JobSummary } from "../core/jobView";

export const READ_CONCURRENCY = 16;

/** Runs `fn` over `items`, at most `limit` at a time, keeping their order. */
export async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The summary of every job that has a state (a registered name whose entity is gone is left out). */
export async function readSummaries(
  client: CoordinatorClient,
  jobs: string[],
  statusUrl: (job: string, instanceId: string) => string,
): Promise<JobSummary[]> {
  const states = await mapLimited(jobs, READ_CONCURRENCY, (job) => client.readState(job));
  return states.flatMap((state, i) =>
    state ? [jobSummary(state, (instanceId) => statusUrl(jobs[i], instanceId))] : [],
  );
}
