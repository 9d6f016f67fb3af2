/** The `schedules` of singleton.jobs.json: defaults, and every problem named by schedule and field. */
import { MAX_QUEUED_INPUT_BYTES } from "../../core/boundedState";
import {
  parseSchedules,
  parseTimeSpan,
  scheduleFunctionName,
  scheduleTargetProblems,
  type Schedule,
} from "../../core/schedules";

const file = (schedules: unknown, eternalJobs: unknown[] = []) => JSON.stringify({ eternalJobs, schedules });
const parse = (schedules: unknown, hostZone?: string) =>
  parseSchedules(file(schedules), "jobs.json", hostZone);
const problemsOf = (schedules: unknown, hostZone?: string): string[] => {
  try {
    parse(schedules, hostZone);
  } catch (err) {
    const [head, ...lines] = (err as Error).message.split("\n  ");
    expect(head).toBe("Invalid schedule configuration:");
    return lines;
  }
  throw new Error("expected the configuration to be refused");
};
const report = { name: "report", orchestrator: "reportJob", schedule: "0 0 * * * *" };

test("a minimal schedule gets the defaults: skip, no catch-up, UTC, its own schedule as the timer's", () => {
  expect(parse([report])).toEqual([
    {
      name: "report",
      orchestrator: "reportJob",
      schedule: "0 0 * * * *",
      overlap: "skip",
      catchUpWindowMs: 0,
      timeZone: "UTC",
      timerSchedule: "0 0 * * * *",
    },
  ]);
});

test("every field: overlap, catch-up window, input, and a zone of its own driven by a minute heartbeat", () => {
  const [s] = parse([
    {
      ...report,
      schedule: " 30  0 2 * * 1-5 ",
      overlap: "queue",
      catchUpWindow: "1.02:03:04",
      input: { items: 3 },
      timeZone: "Europe/Berlin",
    },
  ]);
  expect(s).toEqual({
    name: "report",
    orchestrator: "reportJob",
    schedule: "30 0 2 * * 1-5",
    input: { items: 3 },
    overlap: "queue",
    catchUpWindow: "1.02:03:04",
    catchUpWindowMs: ((26 * 60 + 3) * 60 + 4) * 1000,
    timeZone: "Europe/Berlin",
    timerSchedule: "30 * * * * *",
  } satisfies Schedule);
});

test("without a zone of its own a schedule is read in WEBSITE_TIME_ZONE, like the host's timers", () => {
  expect(parse([report], "America/New_York")[0]).toMatchObject({
    timeZone: "America/New_York",
    timerSchedule: "0 0 * * * *",
  });
  expect(problemsOf([report], "Pacific Standard Time")).toEqual([
    "jobs.json schedules[0] 'report' timeZone: WEBSITE_TIME_ZONE 'Pacific Standard Time' is not an IANA time zone: give the schedule a timeZone",
  ]);
  expect(parse([{ ...report, timeZone: "Asia/Kolkata" }], "Pacific Standard Time")[0].timeZone).toBe(
    "Asia/Kolkata",
  );
});

test("an invalid cron, an unknown overlap policy and an unknown field each name the schedule and the field", () => {
  expect(
    problemsOf([
      { ...report, schedule: "0 61 * * * *" },
      { ...report, name: "b", overlap: "sometimes" },
      { ...report, name: "c", policy: "reject" },
      { ...report, name: "d", schedule: "0 * * * *" },
    ]),
  ).toEqual([
    "jobs.json schedules[0] 'report' schedule: '0 61 * * * *' is invalid: Constraint error, got value 61 expected range 0-59",
    "jobs.json schedules[1] 'b' overlap: 'sometimes' is not one of skip, queue, replace",
    "jobs.json schedules[2] 'c' policy: is not a known field (name, orchestrator, schedule, input, overlap, catchUpWindow, timeZone)",
    "jobs.json schedules[3] 'd' schedule: must be a 6-field NCRONTAB expression (\"{second} {minute} {hour} {day} {month} {day-of-week}\")",
  ]);
});

test("names, orchestrators, windows, zones and queued inputs are checked", () => {
  expect(
    problemsOf([
      { ...report, name: "bad name!" },
      { ...report, name: "e", orchestrator: "" },
      { ...report, name: "f", catchUpWindow: "15m" },
      { ...report, name: "g", catchUpWindow: "00:60:00" },
      { ...report, name: "h", timeZone: "Mars/Olympus" },
      { ...report, name: "i", overlap: "queue", input: { text: "x".repeat(MAX_QUEUED_INPUT_BYTES) } },
      "not an object",
    ]),
  ).toEqual([
    "jobs.json schedules[0] 'bad name!' name: must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    "jobs.json schedules[1] 'e' orchestrator: is required (a singleton orchestrator's name)",
    "jobs.json schedules[2] 'f' catchUpWindow: '15m' must be a TimeSpan (\"hh:mm:ss\" or \"d.hh:mm:ss\")",
    "jobs.json schedules[3] 'g' catchUpWindow: '00:60:00' must be a TimeSpan (\"hh:mm:ss\" or \"d.hh:mm:ss\")",
    "jobs.json schedules[4] 'h' timeZone: 'Mars/Olympus' is not an IANA time zone (e.g. \"Europe/Berlin\")",
    `jobs.json schedules[5] 'i' input: a queued tick's input is kept in the job's state and must be at most ${MAX_QUEUED_INPUT_BYTES} bytes as JSON (got ${MAX_QUEUED_INPUT_BYTES + 11})`,
    "jobs.json schedules[6]: must be an object with name, orchestrator, schedule, input, overlap, catchUpWindow, timeZone",
  ]);
});

test("a job has one schedule, is not also an eternal job, and its timer function name is its own", () => {
  const lines = (() => {
    try {
      parseSchedules(
        file(
          [
            report,
            report,
            { ...report, name: "re.port" },
            { ...report, name: "re_port" },
            { ...report, name: "mon" },
          ],
          [{ name: "mon" }],
        ),
        "jobs.json",
      );
    } catch (err) {
      return (err as Error).message.split("\n  ").slice(1);
    }
    return [];
  })();
  expect(lines).toEqual([
    "jobs.json schedules[1] 'report' name: is declared twice",
    "jobs.json schedules[3] 're_port' name: its timer function 'schedule_re_port' is also 're.port''s",
    "jobs.json schedules[4] 'mon' name: is also an eternal job",
  ]);
  expect(scheduleFunctionName("re.port")).toBe("schedule_re_port");
});

test("a file without schedules, or a bare array of eternal jobs, has none; broken JSON is an error", () => {
  expect(parseSchedules(JSON.stringify({ eternalJobs: [] }), "jobs.json")).toEqual([]);
  expect(parseSchedules("[]", "jobs.json")).toEqual([]);
  expect(() => parseSchedules("{", "jobs.json")).toThrow(/^jobs\.json: not valid JSON/);
  expect(() => parseSchedules('{"schedules":{}}', "jobs.json")).toThrow(
    'jobs.json: "schedules" must be an array',
  );
});

test("TimeSpans as host.json writes them", () => {
  expect(
    ["00:15", "00:15:00", "1.00:00:00", "23:59:59", "24:00:00", "0:5:00", "PT15M"].map(parseTimeSpan),
  ).toEqual([900_000, 900_000, 86_400_000, 86_399_000, undefined, undefined, undefined]);
});

test("once every orchestrator is registered: an unknown orchestrator, or an input it refuses, is named", () => {
  const schedules = parse([
    report,
    { ...report, name: "x", orchestrator: "nope" },
    { ...report, name: "y", input: { items: -1 } },
  ]);
  const check = (_orchestrator: string, input: unknown) =>
    (input as { items?: number } | undefined)?.items === -1
      ? { field: "items", detail: "must be 0-1000" }
      : undefined;
  expect(scheduleTargetProblems(schedules, new Set(["reportJob", "monitorJob"]), check, "jobs.json")).toEqual(
    [
      "jobs.json schedules[1] 'x' orchestrator: 'nope' is not a registered singleton orchestrator (known: monitorJob, reportJob)",
      "jobs.json schedules[2] 'y' input.items: refused by 'reportJob': must be 0-1000",
    ],
  );
});
