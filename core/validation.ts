/** Validation of everything a starter accepts from outside. Every failure names the field and the rule. */
import { MAX_QUEUED_INPUT_BYTES } from "./boundedState";
import { POLICIES, type Policy } from "./types";

export const JOB_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
export const MAX_BODY_BYTES = 64 * 1024;
/**
 * How deeply a run's input may nest. Inputs travel through JSON.stringify (recursive: it overflows the stack
 * at a few thousand levels) in signals, histories and entity state, so a deeper input is refused up front.
 */
export const MAX_INPUT_DEPTH = 32;

/** The nesting depth of a parsed JSON value (0 for a scalar), computed without recursion. */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== "object" || v === null) continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** A 400 for an input nested deeper than MAX_INPUT_DEPTH, if it is. */
export function inputDepthError(input: unknown): ApiError | undefined {
  if (jsonDepth(input) <= MAX_INPUT_DEPTH) return undefined;
  return apiError(400, "input too deep", `'input' may nest at most ${MAX_INPUT_DEPTH} levels`, "input");
}

export interface ApiError {
  status: number;
  error: string;
  field?: string;
  detail: string;
}

export function apiError(status: number, error: string, detail: string, field?: string): ApiError {
  return field === undefined ? { status, error, detail } : { status, error, field, detail };
}

export function validateJobName(name: string | undefined, field = "jobName"): ApiError | undefined {
  if (!name || !JOB_NAME_PATTERN.test(name)) {
    return apiError(
      400,
      "invalid job name",
      `'${name ?? ""}' must match ${JOB_NAME_PATTERN.source} (1-64 characters: letters, digits, '.', '_', '-'; starting with a letter or digit)`,
      field,
    );
  }
  return undefined;
}

export function isPolicy(value: unknown): value is Policy {
  return typeof value === "string" && (POLICIES as readonly string[]).includes(value);
}

export interface StartRequest {
  orchestrator: string;
  input?: unknown;
  policy: Policy;
  idempotencyKey?: string;
}

/**
 * Parses the body of `POST /api/jobs/{jobName}/start`. The idempotency key may come from the body or
 * the `Idempotency-Key` header; when both are given they must agree.
 */
export function parseStartRequest(
  rawBody: string,
  headerKey: string | null | undefined,
  defaultPolicy: Policy,
  knownOrchestrators: ReadonlySet<string>,
): StartRequest | ApiError {
  if (Buffer.byteLength(rawBody, "utf8") > MAX_BODY_BYTES) {
    return apiError(413, "request body too large", `the body must be at most ${MAX_BODY_BYTES} bytes`);
  }
  let body: unknown;
  try {
    body = rawBody.trim() === "" ? {} : JSON.parse(rawBody);
  } catch (err) {
    return apiError(400, "invalid JSON", `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return apiError(400, "invalid body", "the body must be a JSON object");
  }
  const b = body as Record<string, unknown>;
  const known = new Set(["orchestrator", "input", "policy", "idempotencyKey"]);
  for (const key of Object.keys(b)) {
    if (!known.has(key))
      return apiError(400, "unknown field", `'${key}' is not a known field (${[...known].join(", ")})`, key);
  }
  if (typeof b.orchestrator !== "string" || b.orchestrator === "") {
    return apiError(
      400,
      "invalid orchestrator",
      "'orchestrator' is required and must be a non-empty string",
      "orchestrator",
    );
  }
  if (!knownOrchestrators.has(b.orchestrator)) {
    return apiError(
      404,
      "unknown orchestrator",
      `'${b.orchestrator}' is not a registered singleton orchestrator (known: ${[...knownOrchestrators].sort().join(", ")})`,
      "orchestrator",
    );
  }
  let policy = defaultPolicy;
  if (b.policy !== undefined) {
    if (!isPolicy(b.policy)) {
      return apiError(400, "invalid policy", `'policy' must be one of ${POLICIES.join(", ")}`, "policy");
    }
    policy = b.policy;
  }
  const bodyKey = b.idempotencyKey;
  if (bodyKey !== undefined && (typeof bodyKey !== "string" || !IDEMPOTENCY_KEY_PATTERN.test(bodyKey))) {
    return apiError(
      400,
      "invalid idempotency key",
      `'idempotencyKey' must match ${IDEMPOTENCY_KEY_PATTERN.source}`,
      "idempotencyKey",
    );
  }
  if (headerKey != null && !IDEMPOTENCY_KEY_PATTERN.test(headerKey)) {
    return apiError(
      400,
      "invalid idempotency key",
      `the Idempotency-Key header must match ${IDEMPOTENCY_KEY_PATTERN.source}`,
      "Idempotency-Key",
    );
  }
  if (bodyKey !== undefined && headerKey != null && bodyKey !== headerKey) {
    return apiError(
      400,
      "conflicting idempotency keys",
      "the Idempotency-Key header and 'idempotencyKey' differ",
      "idempotencyKey",
    );
  }
  const tooDeep = inputDepthError(b.input);
  if (tooDeep) return tooDeep;
  const result: StartRequest = { orchestrator: b.orchestrator, policy };
  if (b.input !== undefined) result.input = b.input;
  const key = (bodyKey as string | undefined) ?? headerKey ?? undefined;
  if (key !== undefined) result.idempotencyKey = key;
  if (policy === "queue" && result.input !== undefined) {
    const size = Buffer.byteLength(JSON.stringify(result.input), "utf8");
    if (size > MAX_QUEUED_INPUT_BYTES) {
      return apiError(
        413,
        "input too large to queue",
        `a queued request's input is kept in the job's state and must be at most ${MAX_QUEUED_INPUT_BYTES} bytes as JSON (got ${size})`,
        "input",
      );
    }
  }
  return result;
}

export function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === "object" && value !== null && "status" in value && "error" in value && "detail" in value
  );
}

/** Parses the optional body of `POST /api/jobs/{jobName}/release`: `{ reason?: string }`. */
export function parseReleaseRequest(rawBody: string): string | ApiError {
  if (rawBody.trim() === "") return "admin release";
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch (err) {
    return apiError(400, "invalid JSON", `the body is not valid JSON: ${(err as Error).message}`);
  }
  const reason = (body as { reason?: unknown } | null)?.reason;
  if (reason === undefined) return "admin release";
  if (typeof reason !== "string" || reason.length > 200) {
    return apiError(400, "invalid reason", "'reason' must be a string of at most 200 characters", "reason");
  }
  return reason;
}

/** What `POST /api/jobs/{jobName}/pause` and `/resume` accept: `{ reason?, by? }` (resume: `{ by? }`). */
export interface ControlBody {
  reason?: string;
  by?: string;
}

export const MAX_REASON_CHARS = 200;
export const MAX_BY_CHARS = 64;

/** A one-line text: no control characters (it is shown in logs and on the dashboard). */
function isOneLine(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

/** Parses the optional body of the pause (`withReason`) or resume route. */
export function parseControlRequest(rawBody: string, withReason: boolean): ControlBody | ApiError {
  if (rawBody.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch (err) {
    return apiError(400, "invalid JSON", `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return apiError(400, "invalid body", "the body must be a JSON object");
  }
  const b = body as Record<string, unknown>;
  const known = withReason ? ["reason", "by"] : ["by"];
  for (const key of Object.keys(b)) {
    if (!known.includes(key))
      return apiError(400, "unknown field", `'${key}' is not a known field (${known.join(", ")})`, key);
  }
  const result: ControlBody = {};
  if (b.reason !== undefined) {
    if (typeof b.reason !== "string" || b.reason.length > MAX_REASON_CHARS || !isOneLine(b.reason)) {
      return apiError(
        400,
        "invalid reason",
        `'reason' must be one line of at most ${MAX_REASON_CHARS} characters`,
        "reason",
      );
    }
    if (b.reason.trim() !== "") result.reason = b.reason.trim();
  }
  if (b.by !== undefined) {
    if (typeof b.by !== "string" || b.by.trim() === "" || b.by.length > MAX_BY_CHARS || !isOneLine(b.by)) {
      return apiError(
        400,
        "invalid by",
        `'by' must be one line of 1-${MAX_BY_CHARS} characters (who asks, as recorded in the job's events)`,
        "by",
      );
    }
    result.by = b.by.trim();
  }
  return result;
}
