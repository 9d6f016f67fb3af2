/**
 * The per-request decision records (the last `MAX_REQUESTS` request ids). Every start decision reads the
 * whole entity state, so records are stored compactly: `[requestId, code, generation]`, followed by the
 * fixed instance id and the attempt only when they differ from "" (derived `<job>:<generation>`) and 1.
 */
import type { DecisionCode, RequestRecord } from "./types";

export const MAX_REQUESTS = 100;

const CODE_OF: Record<DecisionCode, string> = {
  started: "s",
  existing: "e",
  rejected: "r",
  queueFull: "f",
  queued: "q",
};
const DECISION_OF: Record<string, DecisionCode> = Object.fromEntries(
  Object.entries(CODE_OF).map(([decision, code]) => [code, decision as DecisionCode]),
);

export interface RequestDecision {
  requestId: string;
  code: DecisionCode;
  generation: number;
  /** The instance id when it is fixed (seed route); "" when it is `<job>:<generation>`. */
  fixedInstanceId: string;
  attempt: number;
}

export function toRecord(d: RequestDecision): RequestRecord {
  const record: RequestRecord = [d.requestId, CODE_OF[d.code], d.generation];
  if (d.fixedInstanceId !== "" || d.attempt !== 1) record.push(d.fixedInstanceId);
  if (d.attempt !== 1) record.push(d.attempt);
  return record;
}

export function fromRecord(record: RequestRecord): RequestDecision {
  const [requestId, code, generation, fixedInstanceId = "", attempt = 1] = record;
  const decision = DECISION_OF[code];
  if (!decision) throw new Error(`Unknown decision code '${code}' in request record for '${requestId}'.`);
  return { requestId, code: decision, generation, fixedInstanceId, attempt };
}

/** Records (or overwrites, for a reconcile-and-retry) the decision for a request id. */
export function pushRequest(requests: RequestRecord[], decision: RequestDecision): RequestRecord[] {
  return [...requests.filter((r) => r[0] !== decision.requestId), toRecord(decision)].slice(-MAX_REQUESTS);
}

export function findRequest(requests: RequestRecord[], requestId: string): RequestDecision | undefined {
  for (let i = requests.length - 1; i >= 0; i--)
    if (requests[i][0] === requestId) return fromRecord(requests[i]);
  return undefined;
}
