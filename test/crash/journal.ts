/**
 * The crash app's journal (test/fixtures/crash-app): one line per user-code begin and end, written when the
 * code really ran (not on replay). A line may appear twice for one execution when the host died after
 * writing it and before committing the episode that wrote it (the episode then runs again), so a run's
 * interval is its earliest begin to its latest end.
 */
import * as fs from "node:fs";

export interface JournalLine {
  t: number;
  event: "begin" | "end";
  job: string;
  generation: number;
  cycle: number;
  instanceId: string;
}

export interface UserCodeRun {
  job: string;
  generation: number;
  cycle: number;
  instanceId: string;
  begin: number;
  /** Undefined when the execution never reached its end (terminated, or still running). */
  end?: number;
  ended: boolean;
}

export function readJournal(file: string): JournalLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as JournalLine);
}

/** One entry per (job, generation, cycle), in order of beginning. */
export function userCodeRuns(lines: JournalLine[]): UserCodeRun[] {
  const runs = new Map<string, UserCodeRun>();
  for (const line of lines) {
    const key = `${line.job}\u0000${line.generation}\u0000${line.cycle}`;
    let run = runs.get(key);
    if (!run) {
      run = { ...line, begin: Infinity, ended: false };
      runs.set(key, run);
    }
    if (line.event === "begin") run.begin = Math.min(run.begin, line.t);
    else {
      run.end = Math.max(run.end ?? -Infinity, line.t);
      run.ended = true;
    }
  }
  return [...runs.values()]
    .map(({ job, generation, cycle, instanceId, begin, end, ended }) =>
      end === undefined
        ? { job, generation, cycle, instanceId, begin, ended }
        : { job, generation, cycle, instanceId, begin, end, ended },
    )
    .sort((a, b) => a.begin - b.begin);
}

/**
 * Pairs of user-code executions of one job whose intervals overlap. `endOf` gives the end of an execution
 * that has no end line (a terminated run: when its termination took effect).
 */
export function overlaps(runs: UserCodeRun[], endOf: (run: UserCodeRun) => number): string[] {
  const found: string[] = [];
  const byJob = new Map<string, UserCodeRun[]>();
  for (const run of runs) byJob.set(run.job, [...(byJob.get(run.job) ?? []), run]);
  for (const [job, list] of byJob) {
    list.sort((a, b) => a.begin - b.begin);
    for (let i = 1; i < list.length; i++) {
      for (let j = 0; j < i; j++) {
        const earlier = list[j];
        const end = earlier.end ?? endOf(earlier);
        if (list[i].begin < end) {
          found.push(
            `${job}: generation ${list[i].generation} cycle ${list[i].cycle} began at ${list[i].begin} before ` +
              `generation ${earlier.generation} cycle ${earlier.cycle} ended at ${end}`,
          );
        }
      }
    }
  }
  return found;
}
