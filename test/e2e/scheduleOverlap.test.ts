/**
 * The overlap acceptance scenario end to end on the devhost (virtual time, real HTTP, the compiled app):
 * three every-minute schedules, one per overlap policy, whose runs (`reportJob` waiting for the event
 * "done") last a seeded random time around the interval; every tick is checked exactly against the job
 * as it was just before it (test/helpers/overlapScenario.ts).
 *
 * Six hours by default (1,080 ticks per policy), not a month, to keep `npm test` short: the month is the
 * acceptance run, on demand. `SCHEDULE_SCENARIO_HOURS=720` plays 30 days (43,200 ticks per policy, 129,600
 * in all) on the devhost and prints its progress per scenario day; on this 2-core machine it took 18 minutes
 * on SQLite (DEVHOST_TEST_STORE=sqlite, 0.65 GB peak RSS) and 19 on the in-memory store (3.9 GB: it keeps
 * every finished run). The same month also runs through the same production code in
 * test/core/scheduleMonth.test.ts on every `npm test`.
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
