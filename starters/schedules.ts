/**
 * Timer starters for the scheduled jobs declared under `schedules` in `singleton.jobs.json` (or the file
 * named by SINGLETON_JOBS_FILE): one timer trigger per schedule, whose firing is one tick of the schedule
 * (core/tickJob.ts decides it with the job's coordinator). A bad schedule stops the app from loading (the
 * error names the schedule and the field); an orchestrator that is not registered, or that refuses the
 * schedule's input, stops it at startup (`appStart`, once every file of the app is loaded).
 */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import * as df from "durable-functions";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { startOptions } from "../core/config";
import { isoSeconds, scheduledTimeOf } from "../core/cronSchedule";
import { inputProblem, knownOrchestrators } from "../core/orchestratorCatalog";
import {
  parseSchedules,
  scheduleFunctionName,
  scheduleTargetProblems,
  type Schedule,
} from "../core/schedules";
import { tickJob, type TickResult } from "../core/tickJob";
import { coordinatorFor } from "./durableCoordinatorClient";
import { eternalJobsFile } from "./eternalJobs";

const clientInputBinding = df.input.durableClient();

export function loadSchedules(file = eternalJobsFile(), env: NodeJS.ProcessEnv = process.env): Schedule[] {
  if (!existsSync(file)) return [];
  return parseSchedules(readFileSync(file, "utf8"), path.basename(file), env.WEBSITE_TIME_ZONE || undefined);
}

const schedules = loadSchedules();

/** The schedule of the job named `job`, if it is a scheduled job. */
export function scheduleOf(job: string): Schedule | undefined {
  return schedules.find((s) => s.name === job);
}

/** The scheduled time each heartbeat-driven schedule last handled in this process (see `Schedule.timerSchedule`). */
const handled = new Map<string, number>();

function describe(result: TickResult): string {
  const at = isoSeconds(result.scheduledAt);
  if (result.kind === "pending")
    return `tick ${at}: no decision in time; a follow-up orchestration finishes it`;
  if (result.kind === "notDue") return `tick ${at}: not due (the schedule's first tick comes after it)`;
  const missed = result.missed
    ? `; ${result.missed.count}${result.missed.atLeast ? "+" : ""} missed tick(s) from ${isoSeconds(result.missed.first)} recorded`
    : "";
  const what = result.outcome ?? "decided before";
  const run =
    result.decision?.kind === "started"
      ? ` (generation ${result.decision.generation})`
      : result.abandoned
        ? " (its run never started and was given up)"
        : result.awaitingStartUntil !== undefined
          ? ` (its run waits for its start until ${isoSeconds(result.awaitingStartUntil)})`
          : "";
  const kind = result.kind === "duplicate" ? "duplicate of a decided tick: " : "";
  return `tick ${at}: ${kind}${result.catchUp ? "catch-up " : ""}${what}${run}${missed}`;
}

export async function onScheduleTimer(
  schedule: Schedule,
  timer: Timer,
  context: InvocationContext,
): Promise<TickResult | undefined> {
  const firedAt = Date.now();
  const scheduledAt = scheduledTimeOf({ cron: schedule.schedule, timeZone: schedule.timeZone }, firedAt);
  const heartbeat = schedule.timerSchedule !== schedule.schedule;
  // A heartbeat fires every minute; only a firing for a new occurrence needs the job's state.
  if (heartbeat && handled.get(schedule.name) === scheduledAt) return undefined;
  const result = await tickJob(
    coordinatorFor(context, clientInputBinding),
    schedule,
    { scheduledAt, firedAt, pastDue: timer.isPastDue },
    startOptions(),
  );
  if (result.kind !== "pending") handled.set(schedule.name, scheduledAt);
  const line = `Schedule '${schedule.name}': ${describe(result)}.`;
  if (result.kind === "notDue") context.debug(line);
  else if (result.kind === "pending" || result.missed) context.warn(line);
  else context.log(line);
  return result;
}

app.hook.appStart(() => {
  const problems = scheduleTargetProblems(
    schedules,
    knownOrchestrators(),
    inputProblem,
    path.basename(eternalJobsFile()),
  );
  if (problems.length > 0) throw new Error(`Invalid schedule configuration:\n  ${problems.join("\n  ")}`);
});

for (const schedule of schedules) {
  app.timer(scheduleFunctionName(schedule.name), {
    schedule: schedule.timerSchedule,
    extraInputs: [clientInputBinding],
    handler: async (timer: Timer, context: InvocationContext) => {
      await onScheduleTimer(schedule, timer, context);
    },
  });
}
