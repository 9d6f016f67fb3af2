/**
 * A schedule's occurrences: an NCRONTAB expression with seconds ("{second} {minute} {hour} {day} {month}
 * {day-of-week}", as the Functions timer trigger takes it) in an IANA time zone, evaluated with
 * cron-parser (the devhost's timer triggers use the same library, so both agree on every occurrence).
 * Times are epoch milliseconds.
 */
import { CronExpression, CronExpressionParser, type CronFieldCollection } from "cron-parser";

export interface CronSpec {
  /** The NCRONTAB expression (6 fields). */
  cron: string;
  /** IANA time zone the expression is read in. */
  timeZone: string;
}

/**
 * A timer may fire a little before its occurrence (the Functions timer listener says "likely under 1 second
 * due to clock skew", TimerListener.cs in azure-webjobs-sdk-extensions): a firing this close before an
 * occurrence is that occurrence's.
 */
export const EARLY_FIRE_MS = 1000;

/** Parsed expressions by text: every tick evaluates its schedule a few times, and parsing costs most. */
const parsed = new Map<string, CronFieldCollection>();
const MAX_PARSED = 256;

function parse(spec: CronSpec, currentDate: number): CronExpression {
  let fields = parsed.get(spec.cron);
  if (!fields) {
    fields = CronExpressionParser.parse(spec.cron).fields;
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(spec.cron, fields);
  }
  return new CronExpression(fields, { currentDate, tz: spec.timeZone });
}

/**
 * Recent answers: a tick asks the same questions several times (its firing, the starter's prediction
 * and the entity's decision, often in one process), and each costs tens of microseconds.
 */
const answers = new Map<string, number>();
const MAX_ANSWERS = 1024;

function remembered(key: string, compute: () => number): number {
  let answer = answers.get(key);
  if (answer === undefined) {
    answer = compute();
    if (answers.size >= MAX_ANSWERS) answers.clear();
    answers.set(key, answer);
  }
  return answer;
}

/** The first occurrence strictly after `after`. */
export function nextAfter(spec: CronSpec, after: number): number {
  return remembered(`>${after} ${spec.timeZone} ${spec.cron}`, () => parse(spec, after).next().getTime());
}

/** The last occurrence at or before `at`. */
export function latestAtOrBefore(spec: CronSpec, at: number): number {
  return remembered(`<${at} ${spec.timeZone} ${spec.cron}`, () =>
    parse(spec, at + 1)
      .prev()
      .getTime(),
  );
}

/** The occurrences strictly after `after`, in order (lazily: a schedule has no end). */
export function* occurrencesAfter(spec: CronSpec, after: number): Generator<number, void, unknown> {
  const expression = parse(spec, after);
  for (;;) yield expression.next().getTime();
}

/** The next `count` occurrences strictly after `after`. */
export function nextDueTimes(spec: CronSpec, after: number, count: number): number[] {
  const times: number[] = [];
  if (count <= 0) return times;
  for (const t of occurrencesAfter(spec, after)) {
    if (times.length === count) break;
    times.push(t);
  }
  return times;
}

/**
 * The occurrence a timer firing at `firedAt` stands for: the last one at or before it, or the next one if
 * that is at most `EARLY_FIRE_MS` away (and nearer than half the gap, so a schedule of every second still
 * maps each firing to its own second). Every firing for the same occurrence (a duplicate, a retry, a second
 * host) maps to the same time: that is what makes ticks idempotent.
 */
export function scheduledTimeOf(spec: CronSpec, firedAt: number): number {
  const previous = latestAtOrBefore(spec, firedAt);
  const next = nextAfter(spec, firedAt);
  return next - firedAt <= Math.min(EARLY_FIRE_MS, (next - previous) / 2) ? next : previous;
}

/** Throws the parser's message when the expression or the zone is invalid. */
export function checkCron(spec: CronSpec): void {
  CronExpressionParser.parse(spec.cron, { currentDate: 0, tz: spec.timeZone }).next();
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** An occurrence as ISO 8601 without the milliseconds (occurrences fall on whole seconds). */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}
