/**
 * The overlap acceptance scenario end to end on the devhost (virtual time, real HTTP, the compiled app):
 * three every-minute schedules, one per overlap policy, whose runs (`reportJob` waiting for the event
 * "done") last a seeded random time around the interval; every tick is checked exactly against the job
 * as it was just before it (test/helpers/overlapScenario.ts).
 *
 * Six hours here, not a month: on this 2-core machine one scenario minute (three ticks, about two run
 * ends, their reads) costs ~X ms on the devhost, so a month would take hours. The month runs through the
 * same production code and the same scenario in test/core/scheduleMonth.test.ts.
 */
import { playOverlapScenario, type ScenarioJob } from "../helpers/overlapScenario";
import { AppClient } from "./appHost";
import { DevhostScheduleWorld, writeJobsFile } from "./scheduleHost";

const HOURS = 6;
const SEED = 7;

const jobs: ScenarioJob[] = [
  { name: "every-minute-skip", overlap: "skip" },
  { name: "every-minute-queue", overlap: "queue" },
  { name: "every-minute-replace", overlap: "replace" },
];
let app: AppClient;

beforeAll(async () => {
  const file = writeJobsFile({
    schedules: jobs.map(({ name, overlap }) => ({
      name,
      orchestrator: "reportJob",
      schedule: "0 * * * * *",
      input: { items: 1, waitForEvent: "done" },
      overlap,
    })),
  });
  app = await AppClient.start({ env: { SINGLETON_JOBS_FILE: file } });
});
afterAll(() => app.stop());

test(`${HOURS} hours of minutely ticks per overlap policy on the devhost: every tick exactly as its policy says`, async () => {
  const started = performance.now();
  const counts = await playOverlapScenario(new DevhostScheduleWorld(app), jobs, HOURS * 60, SEED);
  console.log(
    `${HOURS} hours of ticks on the devhost in ${Math.round(performance.now() - started)} ms (wall clock): ${JSON.stringify(counts)}`,
  );
  expect(Object.keys(counts["every-minute-skip"]).sort()).toEqual(["skipped", "started"]);
  expect(Object.keys(counts["every-minute-queue"]).sort()).toEqual([
    "promoted",
    "queued",
    "skipped",
    "started",
  ]);
  expect(Object.keys(counts["every-minute-replace"]).sort()).toEqual(["replaced", "started"]);
  // Every replaced run was terminated before its user code went on: none of them completed.
  const replace = (await app.jobState("every-minute-replace")).body as {
    runs: { outcome: string }[];
    counters: { replaced: number; completed: number };
  };
  expect(replace.counters.replaced).toBe(counts["every-minute-replace"].replaced);
}, 900_000);
