/** How instance ids are derived: run `g` of job `j` is `j:g` unless the request fixed it (seed route). */
export function instanceIdFor(job: string, generation: number, fixed?: string): string {
  return fixed || `${job}:${generation}`;
}

/**
 * The instance id of the follow-up orchestration that finishes a request whose starter ran out of its
 * wait budget: `<job>@request@<requestId>@<ticket>`. Job names, request ids and tickets cannot contain
 * '@', so one request's prefix never matches another's, and no run id (`<job>:<generation>`) has '@'.
 */
export function followUpInstanceId(job: string, requestId: string, ticket: string): string {
  return `${followUpPrefix(job, requestId)}${ticket}`;
}

/** The prefix shared by every follow-up of one request (one per starter that handed it over). */
export function followUpPrefix(job: string, requestId: string): string {
  return `${job}@request@${requestId}@`;
}
