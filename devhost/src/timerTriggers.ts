/**
 * Timer triggers on the shared Clock: NCRONTAB schedules ("{second} {minute} {hour} {day} {month}
 * {day-of-week}", UTC unless WEBSITE_TIME_ZONE names an IANA zone) or TimeSpan intervals ("hh:mm:ss").
 *
 * Like the Functions timer listener, one function never runs twice at once. The next occurrence is counted from
 * the end of an invocation (the host counts from its start, and runs an occurrence its invocation overran at
 * once). When the clock jumps over several occurrences (`clock.advance`), they are not replayed one by one: a
 * single invocation runs with `IsPastDue: true`.
 *
 * Monitored timers (`useMonitor`, on by default for schedules that recur at most once a minute) keep their
 * ScheduleStatus in the store, and one whose next occurrence passed while no host ran is invoked once at
 * startup, past due (see ./scheduleMonitor).
 */
import { CronExpressionParser, type CronFieldCollection } from "cron-parser";
import type { Clock } from "./clock";
import { resolveAppSettingRefs } from "./appLoader";
import type { ScheduleStatus } from "./durable/store";
import type { RegisteredFunction } from "./functionsCore";
import { triggerBinding, type RuntimeInvoker, type RuntimeLog } from "./invoker";
import { isoTime, NEVER, startupStatus, usesMonitor, type ScheduleStatusStore } from "./scheduleMonitor";

export interface Schedule {
  /** First occurrence strictly after `afterMs`. */
  next(afterMs: number): number;
  readonly text: string;
  /** Recurs more than once a minute, by the host's measure: schedule monitoring is off for it. */
  readonly subMinute: boolean;
}

export function parseSchedule(text: string, env: NodeJS.ProcessEnv = process.env): Schedule {
  const expression = resolveAppSettingRefs(text.trim(), env);
  const timeSpan = /^(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(expression);
  if (timeSpan) {
    const [, days, h, m, s] = timeSpan;
    const intervalMs = ((Number(days ?? 0) * 24 + Number(h)) * 3600 + Number(m) * 60 + Number(s ?? 0)) * 1000;
    if (intervalMs <= 0) throw new Error(`Timer interval must be positive: "${text}"`);
    return { text: expression, subMinute: intervalMs < 60_000, next: (afterMs) => afterMs + intervalMs };
  }
  const fields = expression.split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(`Invalid NCRONTAB expression "${expression}": expected 6 fields (with seconds)`);
  }
  const tz = process.env.WEBSITE_TIME_ZONE || "UTC";
  // Validates now, so a bad schedule fails the host start rather than the first tick.
  const parsed = CronExpressionParser.parse(expression, { currentDate: 0, tz });
  return {
    text: expression,
    subMinute: recursWithinAMinute(parsed.fields),
    next(afterMs: number): number {
      return CronExpressionParser.parse(expression, { currentDate: afterMs, tz }).next().getTime();
    },
  };
}

/**
 * The host's test (TimerSchedule.ShouldDisableScheduleMonitor): minute, hour, day, month and day of week all
 * unrestricted, and more than one occurrence in the coming minute. With those fields unrestricted, every minute
 * has the same occurrences, one per second set, so this counts the seconds set rather than the occurrences after
 * now (which is the same count unless now falls exactly on one of them). A schedule such as "* 0 * * * *" (every
 * second of one minute an hour) stays monitored, as on the host.
 */
function recursWithinAMinute(fields: CronFieldCollection): boolean {
  const count = (values: readonly (number | string)[], wrap = Infinity): number =>
    new Set(values.filter((v): v is number => typeof v === "number").map((v) => v % wrap)).size;
  const unrestricted =
    count(fields.minute.values) === 60 &&
    count(fields.hour.values) === 24 &&
    count(fields.dayOfMonth.values) === 31 &&
    count(fields.month.values) === 12 &&
    count(fields.dayOfWeek.values, 7) === 7; // 7 is Sunday again
  return unrestricted && count(fields.second.values) > 1;
}

interface TimerFunction {
  fn: RegisteredFunction;
  schedule: Schedule;
  runOnStartup: boolean;
  /** Its status is kept in the store (`useMonitor`). */
  monitored: boolean;
  /** A monitored timer's status as last stored: what its invocations see as ScheduleStatus. */
  status?: ScheduleStatus;
  last?: number;
  nextAt?: number;
  cancel?: () => void;
  running?: Promise<void>;
}

export function isTimerFunction(fn: RegisteredFunction): boolean {
  return triggerBinding(fn)?.binding.type?.toLowerCase() === "timertrigger";
}

export class TimerTriggers {
  private readonly timers: TimerFunction[] = [];
  private stopped = false;

  constructor(
    functions: Iterable<RegisteredFunction>,
    private readonly clock: Clock,
    private readonly invoker: Pick<RuntimeInvoker, "invokeTimer">,
    private readonly log: RuntimeLog,
    private readonly monitor: ScheduleStatusStore,
  ) {
    for (const fn of functions) {
      const trigger = triggerBinding(fn);
      if (!trigger || trigger.binding.type?.toLowerCase() !== "timertrigger") continue;
      const schedule = parseSchedule(String(trigger.binding.schedule ?? ""));
      this.timers.push({
        fn,
        schedule,
        runOnStartup: trigger.binding.runOnStartup === true,
        monitored: usesMonitor(trigger.binding.useMonitor, schedule.subMinute),
      });
    }
  }

  get count(): number {
    return this.timers.length;
  }

  /**
   * Schedules every timer. A monitored timer whose stored next occurrence passed while no host ran is invoked
   * once now, past due; that is also its `runOnStartup` invocation (the host makes one startup invocation, the
   * past-due one first). The other `runOnStartup` timers run once now, not past due.
   */
  start(): void {
    const now = this.clock.now();
    for (const timer of this.timers) {
      timer.nextAt = timer.schedule.next(now);
      if (timer.monitored && this.resume(timer, now)) {
        const name = timer.fn.metadata.name;
        this.log(
          "information",
          `Function '${name}' is past due on startup (its occurrence at ${timer.status?.next} passed while the host was down). Executing now.`,
          name,
        );
        this.run(timer, now, true);
      } else if (timer.runOnStartup) this.run(timer, now, false);
      else this.arm(timer);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) timer.cancel?.();
  }

  /** Resolves when no timer invocation is running. */
  async whenSettled(): Promise<void> {
    await Promise.all(this.timers.map((t) => t.running));
  }

  /** Takes up a monitored timer's stored status; true when it is past due. */
  private resume(timer: TimerFunction, now: number): boolean {
    const name = timer.fn.metadata.name;
    let stored: ScheduleStatus | undefined;
    try {
      stored = this.monitor.getScheduleStatus(name);
    } catch (err) {
      this.log("error", `Function '${name}': could not read its schedule status (${String(err)}).`, name);
    }
    const { status, nextAt, changed, pastDue } = startupStatus(stored, (t) => timer.schedule.next(t), now);
    timer.nextAt = nextAt;
    if (changed) this.record(timer, status);
    else timer.status = status;
    return pastDue;
  }

  /** Stores a monitored timer's status; best effort, as the host's storage monitor (a failure is logged). */
  private record(timer: TimerFunction, status: ScheduleStatus): void {
    timer.status = status;
    const name = timer.fn.metadata.name;
    try {
      this.monitor.putScheduleStatus(name, status);
    } catch (err) {
      this.log("error", `Function '${name}': could not store its schedule status (${String(err)}).`, name);
    }
  }

  private arm(timer: TimerFunction): void {
    if (this.stopped || timer.nextAt === undefined) return;
    const due = timer.nextAt;
    timer.cancel = this.clock.schedule(due, () => {
      timer.cancel = undefined;
      // Past due when the occurrence after this one has already come too: the clock jumped over it.
      const pastDue = timer.schedule.next(due) <= this.clock.now();
      this.run(timer, due, pastDue);
    });
  }

  private run(timer: TimerFunction, scheduledAt: number, isPastDue: boolean): void {
    const now = this.clock.now();
    const info = {
      Schedule: { AdjustForDST: true },
      // A monitored timer shows its stored status, as the host does; an unmonitored one (for which the host
      // passes none) gets one made up from this run.
      ScheduleStatus: timer.status
        ? { Last: timer.status.last, Next: timer.status.next, LastUpdated: timer.status.lastUpdated }
        : {
            Last: timer.last === undefined ? NEVER : isoTime(timer.last),
            Next: isoTime(timer.nextAt ?? scheduledAt),
            LastUpdated: isoTime(now),
          },
      IsPastDue: isPastDue,
    };
    const name = timer.fn.metadata.name;
    timer.running = this.invoker
      .invokeTimer(timer.fn, info)
      .catch((err: unknown) => {
        this.log(
          "error",
          `Executed '${name}' (Failed): ${err instanceof Error ? err.message : String(err)}`,
          name,
        );
      })
      .finally(() => {
        timer.running = undefined;
        const from = Math.max(this.clock.now(), scheduledAt);
        timer.last = scheduledAt;
        timer.nextAt = timer.schedule.next(from);
        if (timer.monitored) {
          this.record(timer, {
            last: isoTime(scheduledAt),
            next: isoTime(timer.nextAt),
            lastUpdated: isoTime(from),
          });
        }
        this.arm(timer);
      });
  }
}
