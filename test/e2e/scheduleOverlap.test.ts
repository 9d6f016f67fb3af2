/**
 * The overlap acceptance scenario end to end on the devhost (virtual time, real HTTP, the compiled app):
 * three every-minute schedules, one per overlap policy, whose runs (`reportJob` waiting for the event
 * "done") last a seeded random time around the interval; every tick is checked exactly against the job
 * as it was just before it (test/helpers/overlapScenario.ts).
 *
 * Six hours by default (1,080 ticks), not a month: on this 2-core machine one scenario minute (three
 * ticks, about two run ends, a dozen HTTP reads) costs 25 ms on the devhost when the machine is quiet and
 * up to 250 ms when it is shared, so a month (43,200 minutes) takes 20 minutes to 3 hours. The month runs
 * through the same production code and the same scenario in test/core/scheduleMonth.test.ts on every
 * `npm test`; SCHEDULE_SCENARIO_HOURS=720 runs it here, on the devhost (the acceptance run).
 */
import { playOverlapScenario, type ScenarioJob } from "../helpers/overlapScenario";
import { AppClient } from "./appHost";
import { DevhostScheduleWorld, writeJobsFile } from "./scheduleHost";

const HOURS = Number(process.env.SCHEDULE_SCENARIO_HOURS ?? 6);
if (!Number.isInteger(HOURS) || HOURS < 1)
  throw new Error("SCHEDULE_SCENARIO_HOURS: a whole number of hours");
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

test(
  `${HOURS} hours of minutely ticks per overlap policy on the devhost: every tick exactly as its policy says`,
  async () => {
    const started = performance.now();
    // jest holds console output until the test ends; a long run says how far it got as it goes.
    const progress = (days: number) =>
      process.stderr.write(
        `scheduleOverlap: day ${days} of ${HOURS / 24} after ${Math.round((performance.now() - started) / 1000)} s\n`,
      );
    const counts = await playOverlapScenario(
      new DevhostScheduleWorld(app),
      jobs,
      HOURS * 60,
      SEED,
      HOURS > 24 ? progress : undefined,
    );
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
    // The coordinator counted exactly the replacements the scenario saw (each replaced run was Terminated).
    const replace = (await app.jobState("every-minute-replace")).body as { counters: { replaced: number } };
    expect(replace.counters.replaced).toBe(counts["every-minute-replace"].replaced);
  },
  900_000 + HOURS * 60 * 250,
); // up to 250 ms per scenario minute on a busy machine
