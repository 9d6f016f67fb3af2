/**
 * Shape checks for the coordinator entity's operation inputs. Entity operations can be signalled by
 * anyone with access to the management API, so a malformed input is refused with a clear error (an
 * operation error; the state is left as it was) instead of being recorded half-understood.
 */
import type { OperationName } from "./coordinator";
import { NOTED_ANSWERS, OBSERVED_STATUSES, OVERLAPS, POLICIES } from "./types";

type Fields = Record<string, unknown>;
type Check = (input: Fields) => string | undefined;

const isInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isText = (v: unknown) => typeof v === "string" && v.length > 0;

/** The first problem among optional fields: `[name, value, test, rule]`. */
function optional(...fields: [string, unknown, (v: unknown) => boolean, string][]): string | undefined {
  for (const [name, value, test, rule] of fields) {
    if (value !== undefined && !test(value)) return `${name}, when given, must be ${rule}`;
  }
  return undefined;
}

const CHECKS: Record<OperationName, Check> = {
  tryStart: (i) => {
    if (!isText(i.requestId)) return "requestId must be a non-empty string";
    if (!isText(i.orchestrator)) return "orchestrator must be a non-empty string";
    if (!(POLICIES as readonly unknown[]).includes(i.policy))
      return `policy must be one of ${POLICIES.join(", ")}`;
    return optional(
      ["instanceId", i.instanceId, isText, "a non-empty string"],
      ["expectSeq", i.expectSeq, isInt, "a whole number"],
      ["starter", i.starter, isText, "a non-empty string"],
      ["replaceUpTo", i.replaceUpTo, isInt, "a whole number"],
    );
  },
  confirm: (i) =>
    !isInt(i.generation)
      ? "generation must be a whole number"
      : !isText(i.instanceId)
        ? "instanceId must be a non-empty string"
        : optional(["cycle", i.cycle, isInt, "a whole number"]),
  complete: (i) =>
    !isInt(i.generation)
      ? "generation must be a whole number"
      : i.outcome !== "completed" && i.outcome !== "failed"
        ? "outcome must be completed or failed"
        : optional(
            ["summary", i.summary, (v) => typeof v === "string", "a string"],
            ["starter", i.starter, isText, "a non-empty string"],
          ),
  reconcile: (i) =>
    !isInt(i.generation)
      ? "generation must be a whole number"
      : !(OBSERVED_STATUSES as readonly unknown[]).includes(i.observedStatus)
        ? `observedStatus must be one of ${OBSERVED_STATUSES.join(", ")}`
        : optional(["starter", i.starter, isText, "a non-empty string"]),
  release: (i) =>
    optional(
      ["reason", i.reason, (v) => typeof v === "string", "a string"],
      ["generation", i.generation, isInt, "a whole number"],
      ["requestId", i.requestId, isText, "a non-empty string"],
      ["starter", i.starter, isText, "a non-empty string"],
    ),
  pause: (i) =>
    !isText(i.requestId)
      ? "requestId must be a non-empty string"
      : optional(
          ["by", i.by, (v) => typeof v === "string", "a string"],
          ["reason", i.reason, (v) => typeof v === "string", "a string"],
          ["expectSeq", i.expectSeq, isInt, "a whole number"],
        ),
  resume: (i) =>
    !isText(i.requestId)
      ? "requestId must be a non-empty string"
      : optional(
          ["by", i.by, (v) => typeof v === "string", "a string"],
          ["expectSeq", i.expectSeq, isInt, "a whole number"],
          ["starter", i.starter, isText, "a non-empty string"],
        ),
  tick: (i) => {
    for (const name of ["scheduledAt", "firedAt", "catchUpWindowMs"] as const) {
      if (!isInt(i[name])) return `${name} must be a whole number`;
    }
    for (const name of ["orchestrator", "cron", "timeZone"] as const) {
      if (!isText(i[name])) return `${name} must be a non-empty string`;
    }
    if (!(OVERLAPS as readonly unknown[]).includes(i.overlap))
      return `overlap must be one of ${OVERLAPS.join(", ")}`;
    return optional(
      ["pastDue", i.pastDue, (v) => typeof v === "boolean", "a boolean"],
      ["expectSeq", i.expectSeq, isInt, "a whole number"],
      ["starter", i.starter, isText, "a non-empty string"],
    );
  },
  noteAnswer: (i) =>
    (NOTED_ANSWERS as readonly unknown[]).includes(i.answer)
      ? undefined
      : `answer must be one of ${NOTED_ANSWERS.join(", ")}`,
};

/** Throws an error naming the rule when `input` does not fit `operation`. */
export function assertOperationInput(operation: OperationName, input: unknown): void {
  if (operation === "release" && input === undefined) return;
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new Error(`Invalid input for '${operation}': expected a JSON object.`);
  }
  const problem = CHECKS[operation](input as Fields);
  if (problem) throw new Error(`Invalid input for '${operation}': ${problem}.`);
}
