/**
 * Eternal jobs declared in configuration: each gets a timer trigger whose ticks make sure the job runs
 * (policy useExisting) and reconcile a holder whose orchestration ended without reporting.
 */
import { CronExpressionParser } from "cron-parser";
import { JOB_NAME_PATTERN } from "./validation";

export interface EternalJob {
  name: string;
  orchestrator: string;
  /** NCRONTAB with seconds: "{second} {minute} {hour} {day} {month} {day-of-week}". */
  schedule: string;
  input?: unknown;
  runOnStartup?: boolean;
}

/** Parses and validates the configuration; throws one error listing every problem. */
export function parseEternalJobs(text: string, source: string): EternalJob[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON: ${(err as Error).message}`);
  }
  const file = raw as { eternalJobs?: unknown; schedules?: unknown } | null;
  // A file of schedules only has no eternal jobs (core/schedules.ts reads its `schedules`).
  const list = Array.isArray(raw)
    ? raw
    : (file?.eternalJobs ?? (file?.schedules === undefined ? undefined : []));
  if (!Array.isArray(list))
    throw new Error(`${source}: expected an array of jobs or { "eternalJobs": [...], "schedules": [...] }`);
  const problems: string[] = [];
  const seen = new Set<string>();
  const jobs: EternalJob[] = [];
  list.forEach((entry: unknown, i: number) => {
    const e = entry as Partial<EternalJob>;
    const at = `${source}[${i}]`;
    if (typeof e?.name !== "string" || !JOB_NAME_PATTERN.test(e.name)) {
      problems.push(`${at}.name must match ${JOB_NAME_PATTERN.source}`);
      return;
    }
    if (seen.has(e.name)) problems.push(`${at}.name '${e.name}' is declared twice`);
    seen.add(e.name);
    if (typeof e.orchestrator !== "string" || e.orchestrator === "")
      problems.push(`${at}.orchestrator is required`);
    if (typeof e.schedule !== "string" || e.schedule.trim().split(/\s+/).length !== 6) {
      problems.push(
        `${at}.schedule must be a 6-field NCRONTAB expression ("{second} {minute} {hour} {day} {month} {day-of-week}")`,
      );
    } else {
      try {
        CronExpressionParser.parse(e.schedule);
      } catch (err) {
        problems.push(`${at}.schedule '${e.schedule}' is invalid: ${(err as Error).message}`);
      }
    }
    if (e.runOnStartup !== undefined && typeof e.runOnStartup !== "boolean")
      problems.push(`${at}.runOnStartup must be a boolean`);
    const job: EternalJob = {
      name: e.name,
      orchestrator: String(e.orchestrator),
      schedule: String(e.schedule),
    };
    if (e.input !== undefined) job.input = e.input;
    if (e.runOnStartup !== undefined) job.runOnStartup = e.runOnStartup;
    jobs.push(job);
  });
  if (problems.length > 0) throw new Error(`Invalid eternal job configuration:\n  ${problems.join("\n  ")}`);
  return jobs;
}

/** A Functions-valid function name for a job's timer trigger. */
export function timerFunctionName(job: string): string {
  return `eternal_${job.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}
