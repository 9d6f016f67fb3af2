/**
 * Shape checks for the coordinator entity's operation inputs. Entity operations can be signalled by
 * anyone with access to the management API, so a malformed input is refused with a clear error (an
 * operation error; the state is left as it was) instead of being recorded half-understood.
 */
import { OBSERVED_STATUSES, POLICIES } from "./types";

type Check = (input: Record<string, unknown>) => string | undefined;

const isInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const isText = (v: unknown) => typeof v === "string" && v.length > 0;

const tryStartCheck: Check = (i) => {
  if (!isText(i.requestId)) return "requestId must be a non-empty string";
  if (!isText(i.orchestrator)) return "orchestrator must be a non-empty string";
  if (!(POLICIES as readonly unknown[]).includes(i.policy))
    return `policy must be one of ${POLICIES.join(", ")}`;
  if (i.instanceId !== undefined && !isText(i.instanceId))
    return "instanceId, when given, must be a non-empty string";
  if (i.attempt !== undefined && !isInt(i.attempt)) return "attempt, when given, must be a whole number";
  return undefined;
};

const CHECKS: Record<string, Check> = {
  tryStart: tryStartCheck,
  confirm: (i) =>
    !isInt(i.generation)
      ? "generation must be a whole number"
      : !isText(i.instanceId)
        ? "instanceId must be a non-empty string"
        : i.cycle !== undefined && !isInt(i.cycle)
          ? "cycle, when given, must be a whole number"
          : undefined,
  complete: (i) =>
    !isInt(i.generation)
      ? "generation must be a whole number"
      : i.outcome !== "completed" && i.outcome !== "failed"
        ? "outcome must be completed or failed"
        : i.summary !== undefined && typeof i.summary !== "string"
          ? "summary, when given, must be a string"
          : undefined,
  reconcile: (i) => {
    if (!isInt(i.generation)) return "generation must be a whole number";
    if (!(OBSERVED_STATUSES as readonly unknown[]).includes(i.observedStatus)) {
      return `observedStatus must be one of ${OBSERVED_STATUSES.join(", ")}`;
    }
    if (i.retry === undefined) return undefined;
    if (typeof i.retry !== "object" || i.retry === null) return "retry, when given, must be a tryStart input";
    const retry = tryStartCheck(i.retry as Record<string, unknown>);
    return retry && `retry: ${retry}`;
  },
  release: (i) =>
    i.reason !== undefined && typeof i.reason !== "string"
      ? "reason, when given, must be a string"
      : undefined,
};

/** Throws an error naming the rule when `input` does not fit `operation`. */
export function assertOperationInput(operation: string, input: unknown): void {
  const check = CHECKS[operation];
  if (!check) return; // unknown operations are refused by applyOperation itself
  if (operation === "release" && input === undefined) return;
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new Error(`Invalid input for '${operation}': expected a JSON object.`);
  }
  const problem = check(input as Record<string, unknown>);
  if (problem) throw new Error(`Invalid input for '${operation}': ${problem}.`);
}
