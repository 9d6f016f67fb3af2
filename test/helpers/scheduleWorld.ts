/**
 * A fast, deterministic in-memory world for schedules, driving the production code: each schedule's timer
 * fires on its occurrences (on time) and calls `fireSchedule` (core/tickJob.ts, as the timer binding
 * does); the coordinator entity is `applyOperation` over the job's state; every run's orchestration is the
 * singleton wrapper's own step generator (`runSteps`, core/runSteps.ts), whose user code lasts until the
 * scenario finishes it (or a replacement terminates it); promoted runs start through `startRunOnce`. Time
 * is a number moved by `advanceTo`, so a month of minutely ticks takes seconds.
 */
import { initialState } from "../../core/boundedState";
import { applyOperation } from "../../core/coordinator";
import { LIVE_STATUSES, type CoordinatorClient, type InstanceStatus } from "../../core/coordinatorClient";
import { isoSeconds, nextAfter } from "../../core/cronSchedule";
import { runSteps, type UserCodeOutcome } from "../../core/runSteps";
import type { Schedule } from "../../core/schedules";
import type { StartOptions } from "../../core/startJob";
import { startRunOnce } from "../../core/startRun";
import { fireSchedule } from "../../core/tickJob";
import type { JobState, RunEnvelope } from "../../core/types";
import type { JobView, ScheduleWorld } from "./overlapScenario";

interface Instance {
  id: string;
  job: string;
  status: InstanceStatus;
  input: unknown;
  /** Resolves when the user code ends: "done" (finished) or "terminated". */
  end?: (how: "done" | "terminated") => void;
}

export class SimulatedScheduleWorld implements ScheduleWorld {
  private clock: number;
  private readonly states = new Map<string, JobState>();
  private readonly instances = new Map<string, Instance>();
  private readonly nextTick = new Map<string, number>();
  /** The live instances (a month makes tens of thousands of runs: these stay few). */
  private readonly liveInstances = new Set<Instance>();
  /** The instances whose user code is running. */
  private readonly inUserCode = new Set<Instance>();
  private tickets = 0;
  /** Work in progress (firings, orchestration steps); `settle` waits until there is none. */
  private busy = 0;
  /** The most user code ever running at once, per job. */
  readonly maxUserCode = new Map<string, number>();
  /** Every instance start, by id: a run's orchestration is never started twice. */
  readonly starts = new Map<string, number>();
  ticks = 0;

  constructor(
    private readonly schedules: Schedule[],
    start: number,
    private readonly options: StartOptions,
  ) {
    this.clock = start;
    for (const s of schedules) this.nextTick.set(s.name, nextAfter(this.spec(s), start));
  }

  private spec(s: Schedule) {
    return { cron: s.schedule, timeZone: s.timeZone };
  }

  now(): number {
    return this.clock;
  }

  private apply(job: string, operation: string, input: unknown): unknown {
    const applied = applyOperation(
      this.states.get(job) ?? initialState(job),
      operation,
      input,
      this.clock,
      this.options.config,
    );
    this.states.set(job, applied.state);
    return applied.answer;
  }

  client(): CoordinatorClient {
    return {
      signal: async (job, operation, input) => void this.apply(job, operation, input),
      // States are never mutated (the coordinator returns new ones), so a read can hand out the stored one.
      readState: async (job) => this.states.get(job),
      startNew: async (_orchestrator, id, input) => {
        const existing = this.instances.get(id);
        if (existing && LIVE_STATUSES.has(existing.status)) return "conflict";
        this.starts.set(id, (this.starts.get(id) ?? 0) + 1);
        const envelope = input as RunEnvelope;
        const instance: Instance = { id, job: envelope.job, status: "Running", input };
        this.instances.set(id, instance);
        this.liveInstances.add(instance);
        void this.orchestrate(instance, envelope);
        return "started";
      },
      instance: async (id) => {
        const found = this.instances.get(id);
        if (!found) return { status: "NotFound" };
        return { status: found.status, generation: (found.input as RunEnvelope).generation };
      },
      terminate: async (id) => {
        const found = this.instances.get(id);
        if (!found || !LIVE_STATUSES.has(found.status)) return;
        found.status = "Terminated";
        this.liveInstances.delete(found);
        found.end?.("terminated");
      },
      newTicket: () => `t${++this.tickets}`,
      sleep: async () => undefined,
      now: () => this.clock,
    };
  }

  private userCodeRunning(job: string): number {
    return [...this.inUserCode].filter((i) => i.job === job).length;
  }

  /** One run's orchestration, driven by the wrapper's own steps. */
  private async orchestrate(instance: Instance, envelope: RunEnvelope): Promise<void> {
    this.busy++;
    try {
      const steps = runSteps(envelope, instance.id);
      const activities = this.client();
      let feed: unknown = undefined;
      for (;;) {
        const next = steps.next(feed);
        if (next.done) {
          if (instance.status === "Running") instance.status = "Completed";
          this.liveInstances.delete(instance);
          return;
        }
        const step = next.value;
        if (step.kind === "confirm" || step.kind === "complete") {
          feed = this.apply(envelope.job, step.kind, step.input);
        } else if (step.kind === "terminate") {
          feed = await activities.terminate(step.instanceId, step.reason);
        } else if (step.kind === "startRun") {
          feed = await startRunOnce(activities, step.run, step.run.input, {
            ...this.options,
            precheck: true,
          });
        } else {
          const ended = new Promise<"done" | "terminated">((resolve) => (instance.end = resolve));
          this.inUserCode.add(instance);
          const running = this.userCodeRunning(envelope.job);
          this.maxUserCode.set(envelope.job, Math.max(this.maxUserCode.get(envelope.job) ?? 0, running));
          this.busy--;
          const how = await ended;
          this.busy++;
          instance.end = undefined;
          this.inUserCode.delete(instance);
          if (how === "terminated") return;
          feed = { ok: true, value: null, continuedAsNew: false } satisfies UserCodeOutcome;
        }
      }
    } finally {
      this.busy--;
    }
  }

  private async settle(): Promise<void> {
    do await new Promise((resolve) => setImmediate(resolve));
    while (this.busy > 0);
  }

  async advanceTo(at: number): Promise<void> {
    for (;;) {
      const [name, due] = [...this.nextTick].sort((a, b) => a[1] - b[1])[0] ?? [];
      if (name === undefined || due === undefined || due > at) break;
      this.clock = due;
      const schedule = this.schedules.find((s) => s.name === name) as Schedule;
      this.nextTick.set(name, nextAfter(this.spec(schedule), due));
      this.ticks++;
      await fireSchedule(this.client(), schedule, due, false, this.options);
      await this.settle();
    }
    this.clock = Math.max(this.clock, at);
    await this.settle();
  }

  async finish(instanceId: string): Promise<void> {
    this.instances.get(instanceId)?.end?.("done");
    await this.settle();
  }

  /** The parts of the job's view the scenario reads, built as core/jobView.ts and core/scheduleView.ts do. */
  async job(name: string): Promise<JobView> {
    const state = this.states.get(name) ?? initialState(name);
    const ticks = state.ticks;
    return {
      job: name,
      ...(state.active ? { active: state.active } : {}),
      queue: state.queue,
      schedule: {
        lastTick: ticks
          ? { scheduledAt: isoSeconds(ticks.last), outcome: ticks.outcome, catchUp: ticks.catchUp === true }
          : null,
      },
    };
  }

  async status(instanceId: string): Promise<string> {
    return this.instances.get(instanceId)?.status ?? "NotFound";
  }

  async live(job: string): Promise<string[]> {
    return [...this.liveInstances].filter((i) => i.job === job).map((i) => i.id);
  }

  state(job: string): JobState | undefined {
    return this.states.get(job);
  }
}
