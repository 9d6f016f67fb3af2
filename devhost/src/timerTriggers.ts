/**
 * Timer triggers on the shared Clock: NCRONTAB schedules ("{second} {minute} {hour} {day} {month}
 * {day-of-week}", UTC unless WEBSITE_TIME_ZONE names an IANA zone) or TimeSpan intervals ("hh:mm:ss").
 *
 * Like the Functions timer listener, one function never runs twice at once, and the next occurrence is
 * computed after an invocation ends. When the clock jumps over several occurrences (`clock.advance`),
 * they are not replayed one by one: a single invocation runs with `IsPastDue: true`.
 */
import { CronExpressionParser } from "cron-parser";
import type { Clock } from "./clock";
import { resolveAppSettingRefs } from "./appLoader";
import type { RegisteredFunction } from "./functionsCore";
import { triggerBinding, type RuntimeInvoker, type RuntimeLog } from "./invoker";

export interface Schedule {
  /** First occurrence strictly after `afterMs`. */
  next(afterMs: number): number;
  readonly text: string;
}

/** DateTime.MinValue, what the host reports as `Last` before the first run. */
const NEVER = "0001-01-01T00:00:00";

export function parseSchedule(text: string, env: NodeJS.ProcessEnv = process.env): Schedule {
  const expression = resolveAppSettingRefs(text.trim(), env);
  const timeSpan = /^(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(expression);
  if (timeSpan) {
    const [, days, h, m, s] = timeSpan;
    const intervalMs = ((Number(days ?? 0) * 24 + Number(h)) * 3600 + Number(m) * 60 + Number(s ?? 0)) * 1000;
    if (intervalMs <= 0) throw new Error(`Timer interval must be positive: "${text}"`);
    return { text: expression, next: (afterMs) => afterMs + intervalMs };
  }
  const fields = expression.split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(`Invalid NCRONTAB expression "${expression}": expected 6 fields (with seconds)`);
  }
  const tz = process.env.WEBSITE_TIME_ZONE || "UTC";
  // Validates now, so a bad schedule fails the host start rather than the first tick.
  CronExpressionParser.parse(expression, { currentDate: 0, tz });
  return {
    text: expression,
    next(afterMs: number): number {
      return CronExpressionParser.parse(expression, { currentDate: afterMs, tz }).next().getTime();
    },
  };
}

interface TimerFunction {
  fn: RegisteredFunction;
  schedule: Schedule;
  runOnStartup: boolean;
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
  ) {
    for (const fn of functions) {
      const trigger = triggerBinding(fn);
      if (!trigger || trigger.binding.type?.toLowerCase() !== "timertrigger") continue;
      const schedule = parseSchedule(String(trigger.binding.schedule ?? ""));
      this.timers.push({ fn, schedule, runOnStartup: trigger.binding.runOnStartup === true });
    }
  }

  get count(): number {
    return this.timers.length;
  }

  /** Schedules every timer; runs the `runOnStartup` ones once now. */
  start(): void {
    const now = this.clock.now();
    for (const timer of this.timers) {
      timer.nextAt = timer.schedule.next(now);
      if (timer.runOnStartup) this.run(timer, now, false);
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
      ScheduleStatus: {
        Last: timer.last === undefined ? NEVER : new Date(timer.last).toISOString(),
        Next: new Date(timer.nextAt ?? scheduledAt).toISOString(),
        LastUpdated: new Date(now).toISOString(),
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
        timer.last = scheduledAt;
        timer.nextAt = timer.schedule.next(Math.max(this.clock.now(), scheduledAt));
        this.arm(timer);
      });
  }
}
