/**
 * Durable timers armed on the devhost clock, kept per instance so that terminate, continueAsNew, purge and
 * engine shutdown can disarm them. A timer that fires hands a TimerFired event to `fire`.
 */
import type { Clock } from "../clock";
import { EventType, historyEvent, isoTime, type HistoryEvent } from "./history";

export type FireTimer = (instanceId: string, executionId: string, event: HistoryEvent) => void;

export class DurableTimers {
  /** Instance id -> timer sequence number -> cancel. */
  private readonly armed = new Map<string, Map<number, () => void>>();

  constructor(
    private readonly clock: Clock,
    private readonly fire: FireTimer,
  ) {}

  arm(instanceId: string, executionId: string, timerId: number, fireAt: number): void {
    if (fireAt <= this.clock.now()) {
      // Already due: fire now rather than on a real-time tick, so whenIdle() covers it.
      this.fire(instanceId, executionId, this.timerFired(timerId, fireAt));
      return;
    }
    let perInstance = this.armed.get(instanceId);
    if (!perInstance) this.armed.set(instanceId, (perInstance = new Map()));
    const cancel = this.clock.schedule(fireAt, () => {
      this.armed.get(instanceId)?.delete(timerId);
      this.fire(instanceId, executionId, this.timerFired(timerId, fireAt));
    });
    perInstance.set(timerId, cancel);
  }

  /** Disarms one timer (one the orchestrator cancelled). */
  cancel(instanceId: string, timerId: number): void {
    const cancel = this.armed.get(instanceId)?.get(timerId);
    cancel?.();
    this.armed.get(instanceId)?.delete(timerId);
  }

  /** Disarms every timer of the instance. */
  cancelInstance(instanceId: string): void {
    const perInstance = this.armed.get(instanceId);
    if (perInstance) for (const cancel of perInstance.values()) cancel();
    this.armed.delete(instanceId);
  }

  /** Disarms every timer of every instance (engine shutdown). */
  cancelAll(): void {
    for (const perInstance of this.armed.values()) for (const cancel of perInstance.values()) cancel();
    this.armed.clear();
  }

  private timerFired(timerId: number, fireAt: number): HistoryEvent {
    return historyEvent(EventType.TimerFired, this.clock.now(), {
      TimerId: timerId,
      FireAt: isoTime(fireAt),
    });
  }
}
