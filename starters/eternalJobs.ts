/**
 * Timer starters for eternal jobs declared in `singleton.jobs.json` (or the file named by the app
 * setting SINGLETON_JOBS_FILE). Each tick makes sure the job runs (policy useExisting) and reconciles a
 * holder whose orchestration ended without reporting (terminated, purged). A paused job refuses the tick's
 * start like any other (counted as a rejection); the tick says in the log that it skipped the job.
 */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import * as df from "durable-functions";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { startOptions } from "../core/config";
import { parseEternalJobs, timerFunctionName, type EternalJob } from "../core/eternalJobsConfig";
import { inputProblem, knownOrchestrators } from "../core/orchestratorCatalog";
import { startJob, type StartOutcome } from "../core/startJob";
import { coordinatorFor } from "./durableCoordinatorClient";

const clientInputBinding = df.input.durableClient();

export function eternalJobsFile(env: NodeJS.ProcessEnv = process.env): string {
  // Compiled to dist/starters/: the app root is two levels up.
  return env.SINGLETON_JOBS_FILE ?? path.resolve(__dirname, "..", "..", "singleton.jobs.json");
}

export function loadEternalJobs(file = eternalJobsFile()): EternalJob[] {
  if (!existsSync(file)) return [];
  return parseEternalJobs(readFileSync(file, "utf8"), path.basename(file));
}

export async function tick(
  job: EternalJob,
  timer: Timer,
  context: InvocationContext,
): Promise<StartOutcome | undefined> {
  if (!knownOrchestrators().has(job.orchestrator)) {
    context.error(
      `Eternal job '${job.name}': '${job.orchestrator}' is not a registered singleton orchestrator.`,
    );
    return undefined;
  }
  const problem = inputProblem(job.orchestrator, job.input);
  if (problem) {
    context.error(
      `Eternal job '${job.name}': its input is refused by '${job.orchestrator}'${problem.field ? ` (field '${problem.field}')` : ""}: ${problem.detail}.`,
    );
    return undefined;
  }
  const outcome = await startJob(
    coordinatorFor(context, clientInputBinding),
    job.name,
    {
      requestId: `tick-${randomUUID()}`,
      orchestrator: job.orchestrator,
      input: job.input,
      policy: "useExisting",
    },
    startOptions(),
  );
  const late = timer.isPastDue ? " (past due)" : "";
  if (outcome.kind === "rejected" && outcome.reason === "paused") {
    const { by, since, reason } = outcome.paused;
    context.log(
      `Eternal job '${job.name}': tick skipped${late}: the job is paused (by ${by} since ${new Date(since).toISOString()}${reason ? `: ${reason}` : ""}).`,
    );
  } else if (outcome.kind === "started")
    context.log(`Eternal job '${job.name}': started generation ${outcome.generation}${late}.`);
  else if (outcome.kind === "pending")
    context.warn(
      `Eternal job '${job.name}': no decision in time; a follow-up orchestration finishes the tick.`,
    );
  return outcome;
}

for (const job of loadEternalJobs()) {
  app.timer(timerFunctionName(job.name), {
    schedule: job.schedule,
    runOnStartup: job.runOnStartup ?? false,
    extraInputs: [clientInputBinding],
    handler: async (timer: Timer, context: InvocationContext) => {
      await tick(job, timer, context);
    },
  });
}
