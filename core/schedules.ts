/**
 * Scheduled singleton jobs declared in `singleton.jobs.json` under `schedules`: each runs its orchestrator
 * on an NCRONTAB schedule as the job `name`, with an overlap policy for a tick that finds the job still
 * held, and a catch-up window for ticks missed while the host was down. Validated when the app loads: one
 * error lists every problem, each naming the schedule and the field.
 */
import { MAX_QUEUED_INPUT_BYTES } from "./boundedState";
import { checkCron, isTimeZone } from "./cronSchedule";
import type { InputProblem } from "./orchestratorCatalog";
import { OVERLAPS, type Overlap } from "./types";
import { JOB_NAME_PATTERN, jsonDepth, MAX_INPUT_DEPTH } from "./validation";

export interface Schedule {
  /** The job's name (the coordinator entity's key). */
  name: string;
  orchestrator: string;
  /** NCRONTAB with seconds: "{second} {minute} {hour} {day} {month} {day-of-week}". */
  schedule: string;
  input?: unknown;
  overlap: Overlap;
  /** As written (a TimeSpan, "hh:mm:ss" or "d.hh:mm:ss"), when given. */
  catchUpWindow?: string;
  /** How old a missed tick may be and still run once, as a catch-up; 0 (the default): never. */
  catchUpWindowMs: number;
  /** The IANA zone the schedule is read in: its `timeZone`, else WEBSITE_TIME_ZONE, else UTC. */
  timeZone: string;
  /**
   * The timer trigger's own schedule. The host reads a timer's schedule in WEBSITE_TIME_ZONE, so a
   * schedule with a zone of its own is driven by a heartbeat every minute (at its seconds) instead, and
   * each tick works out which occurrence, in the schedule's zone, is due.
   */
  timerSchedule: string;
}

export const SCHEDULE_FIELDS = [
  "name",
  "orchestrator",
  "schedule",
  "input",
  "overlap",
  "catchUpWindow",
  "timeZone",
] as const;

const TIME_SPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

/** A TimeSpan ("hh:mm", "hh:mm:ss" or "d.hh:mm:ss", as host.json and timer schedules write them) in ms. */
export function parseTimeSpan(text: string): number | undefined {
  const m = TIME_SPAN.exec(text);
  if (!m) return undefined;
  const [days, hours, minutes, seconds] = [m[1], m[2], m[3], m[4]].map((v) => Number(v ?? 0));
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  return (((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1000;
}

/** A Functions-valid function name for a schedule's timer trigger. */
export function scheduleFunctionName(name: string): string {
  return `schedule_${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

type Problems = string[];

/** Checks one entry; pushes "schedules[i] 'name' field: problem" lines. Returns the schedule if it is sound. */
function parseEntry(
  entry: unknown,
  at: string,
  hostZone: string | undefined,
  problems: Problems,
): Schedule | undefined {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    problems.push(`${at}: must be an object with ${SCHEDULE_FIELDS.join(", ")}`);
    return undefined;
  }
  const e = entry as Record<string, unknown>;
  const named = typeof e.name === "string" ? `${at} '${e.name}'` : at;
  const before = problems.length;
  const problem = (field: string, detail: string) => problems.push(`${named} ${field}: ${detail}`);
  for (const key of Object.keys(e)) {
    if (!(SCHEDULE_FIELDS as readonly string[]).includes(key)) {
      problem(key, `is not a known field (${SCHEDULE_FIELDS.join(", ")})`);
    }
  }
  if (typeof e.name !== "string" || !JOB_NAME_PATTERN.test(e.name)) {
    problem("name", `must match ${JOB_NAME_PATTERN.source}`);
  }
  if (typeof e.orchestrator !== "string" || e.orchestrator === "") {
    problem("orchestrator", "is required (a singleton orchestrator's name)");
  }
  const overlap = e.overlap ?? "skip";
  if (!(OVERLAPS as readonly unknown[]).includes(overlap)) {
    problem("overlap", `'${String(overlap)}' is not one of ${OVERLAPS.join(", ")}`);
  }
  let catchUpWindowMs = 0;
  if (e.catchUpWindow !== undefined) {
    const ms = typeof e.catchUpWindow === "string" ? parseTimeSpan(e.catchUpWindow) : undefined;
    if (ms === undefined) {
      problem(
        "catchUpWindow",
        `'${String(e.catchUpWindow)}' must be a TimeSpan ("hh:mm:ss" or "d.hh:mm:ss")`,
      );
    } else catchUpWindowMs = ms;
  }
  let timeZone = "UTC";
  if (e.timeZone !== undefined) {
    if (typeof e.timeZone !== "string" || !isTimeZone(e.timeZone)) {
      problem("timeZone", `'${String(e.timeZone)}' is not an IANA time zone (e.g. "Europe/Berlin")`);
    } else timeZone = e.timeZone;
  } else if (hostZone) {
    if (isTimeZone(hostZone)) timeZone = hostZone;
    else
      problem(
        "timeZone",
        `WEBSITE_TIME_ZONE '${hostZone}' is not an IANA time zone: give the schedule a timeZone`,
      );
  }
  const fields = typeof e.schedule === "string" ? e.schedule.trim().split(/\s+/) : [];
  if (fields.length !== 6) {
    problem(
      "schedule",
      `must be a 6-field NCRONTAB expression ("{second} {minute} {hour} {day} {month} {day-of-week}")`,
    );
  } else {
    try {
      checkCron({ cron: e.schedule as string, timeZone });
    } catch (err) {
      problem("schedule", `'${String(e.schedule)}' is invalid: ${(err as Error).message}`);
    }
  }
  if (e.input !== undefined) {
    if (jsonDepth(e.input) > MAX_INPUT_DEPTH) problem("input", `may nest at most ${MAX_INPUT_DEPTH} levels`);
    const size = Buffer.byteLength(JSON.stringify(e.input), "utf8");
    if (overlap === "queue" && size > MAX_QUEUED_INPUT_BYTES) {
      problem(
        "input",
        `a queued tick's input is kept in the job's state and must be at most ${MAX_QUEUED_INPUT_BYTES} bytes as JSON (got ${size})`,
      );
    }
  }
  if (problems.length > before) return undefined;
  const schedule: Schedule = {
    name: e.name as string,
    orchestrator: e.orchestrator as string,
    schedule: fields.join(" "),
    overlap: overlap as Overlap,
    catchUpWindowMs,
    timeZone,
    timerSchedule: e.timeZone === undefined ? fields.join(" ") : `${fields[0]} * * * * *`,
  };
  if (e.input !== undefined) schedule.input = e.input;
  if (e.catchUpWindow !== undefined) schedule.catchUpWindow = e.catchUpWindow as string;
  return schedule;
}

/**
 * Parses the `schedules` of a jobs file (an object; a bare array is a list of eternal jobs only) and
 * validates each entry; throws one error listing every problem. `hostZone` is WEBSITE_TIME_ZONE.
 */
export function parseSchedules(text: string, source: string, hostZone?: string): Schedule[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(raw) || typeof raw !== "object" || raw === null) return [];
  const { schedules: list, eternalJobs } = raw as { schedules?: unknown; eternalJobs?: unknown };
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new Error(`${source}: "schedules" must be an array`);
  const eternal = new Set(
    Array.isArray(eternalJobs) ? eternalJobs.map((j) => (j as { name?: unknown } | null)?.name) : [],
  );
  const problems: Problems = [];
  const byFunction = new Map<string, string>();
  const schedules: Schedule[] = [];
  list.forEach((entry, i) => {
    const at = `${source} schedules[${i}]`;
    const schedule = parseEntry(entry, at, hostZone, problems);
    if (!schedule) return;
    const named = `${at} '${schedule.name}' name`;
    const fn = scheduleFunctionName(schedule.name);
    const twin = byFunction.get(fn);
    if (twin === schedule.name) problems.push(`${named}: is declared twice`);
    else if (twin !== undefined) problems.push(`${named}: its timer function '${fn}' is also '${twin}''s`);
    else if (eternal.has(schedule.name)) problems.push(`${named}: is also an eternal job`);
    byFunction.set(fn, schedule.name);
    schedules.push(schedule);
  });
  if (problems.length > 0) throw new Error(`Invalid schedule configuration:\n  ${problems.join("\n  ")}`);
  return schedules;
}

/**
 * The problems with what schedules run, once every orchestrator is registered (the app's files are all
 * loaded): an orchestrator that is not a registered singleton orchestrator, or an input it refuses.
 */
export function scheduleTargetProblems(
  schedules: Schedule[],
  known: ReadonlySet<string>,
  checkInput: (orchestrator: string, input: unknown) => InputProblem | undefined,
  source: string,
): string[] {
  const problems: string[] = [];
  schedules.forEach((s, i) => {
    const at = `${source} schedules[${i}] '${s.name}'`;
    if (!known.has(s.orchestrator)) {
      problems.push(
        `${at} orchestrator: '${s.orchestrator}' is not a registered singleton orchestrator (known: ${[...known].sort().join(", ")})`,
      );
      return;
    }
    const problem = checkInput(s.orchestrator, s.input);
    if (problem) {
      const field = problem.field ? `input.${problem.field}` : "input";
      problems.push(`${at} ${field}: refused by '${s.orchestrator}': ${problem.detail}`);
    }
  });
  return problems;
}
