/**
 * A month of every-minute ticks (30 days: 43,200 per schedule) for each overlap policy at once, with run
 * durations drawn at random (seeded) around the interval, through the production code: the timer's tick
 * (`fireSchedule`), the coordinator over the job's state, the singleton wrapper's steps for every run
 * (test/helpers/scheduleWorld.ts). The scenario and its exact assertions are the ones the devhost runs end
 * to end over fewer hours (test/helpers/overlapScenario.ts; why fewer: see that test).
 */
import type { Schedule } from "../../core/schedules";
import { playOverlapScenario, type ScenarioJob } from "../helpers/overlapScenario";
import { SimulatedScheduleWorld } from "../helpers/scheduleWorld";

const MONTH_MINUTES = 30 * 24 * 60;
const SEED = 20_250_101;

test("a month of minutely ticks per overlap policy: every tick does exactly what its policy says, never two runs at once", async () => {
  const jobs: ScenarioJob[] = [
    { name: "skip-job", overlap: "skip" },
    { name: "queue-job", overlap: "queue" },
    { name: "replace-job", overlap: "replace" },
  ];
  const schedules: Schedule[] = jobs.map(({ name, overlap }) => ({
    name,
    orchestrator: "work",
    schedule: "0 * * * * *",
    overlap,
    catchUpWindowMs: 0,
    timeZone: "UTC",
    timerSchedule: "0 * * * * *",
  }));
  const world = new SimulatedScheduleWorld(schedules, Date.UTC(2030, 0, 1), {
    waitBudgetMs: 10_000,
    poll: { initialMs: 1, maxMs: 100, factor: 2 },
    config: { leaseMs: 60_000, maxQueue: 1 },
  });
  const started = Date.now();
  const counts = await playOverlapScenario(world, jobs, MONTH_MINUTES, SEED);
  console.log(`a month of ticks in ${Date.now() - started} ms: ${JSON.stringify(counts)}`);

  expect(world.ticks).toBe(3 * MONTH_MINUTES);
  for (const { name } of jobs) {
    const c = counts[name];
    const ticks = Object.entries(c)
      .filter(([outcome]) => outcome !== "promoted")
      .reduce((sum, [, n]) => sum + (n ?? 0), 0);
    expect([name, ticks]).toEqual([name, MONTH_MINUTES]);
    expect(world.maxUserCode.get(name)).toBe(1); // user code never ran twice at once
    expect(world.state(name)?.ticks?.missed).toBe(0);
  }
  // Every path of every policy was taken, many times.
  expect(counts["skip-job"]).toEqual({ started: expect.any(Number), skipped: expect.any(Number) });
  expect(counts["queue-job"]).toEqual({
    started: expect.any(Number),
    queued: expect.any(Number),
    skipped: expect.any(Number),
    // Every queued tick's run started when its holder ended, but the one still waiting at the end.
    promoted: (counts["queue-job"].queued ?? 0) - (world.state("queue-job")?.queue.length ?? 0),
  });
  expect(counts["replace-job"]).toEqual({ started: expect.any(Number), replaced: expect.any(Number) });
  for (const c of Object.values(counts)) for (const n of Object.values(c)) expect(n).toBeGreaterThan(1000);
  // No run's orchestration was ever started twice.
  expect([...world.starts.values()].every((n) => n === 1)).toBe(true);
}, 600_000);
