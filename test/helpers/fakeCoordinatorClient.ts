/**
 * An in-memory `CoordinatorClient`: entity operations go through the pure coordinator in arrival
 * order (one queue, like the entity's), orchestration instances are a map of statuses. Signals are
 * applied on the next turn of the event loop, so concurrent starters really interleave.
 */
import { initialState } from "../../core/boundedState";
import { applyOperation } from "../../core/coordinator";
import type { CoordinatorClient, InstanceStatus } from "../../core/coordinatorClient";
import type { CoordinatorConfig, JobState } from "../../core/types";

export interface FakeInstance {
  status: InstanceStatus;
  orchestrator: string;
  input: unknown;
  output?: unknown;
}

export class FakeCoordinator {
  readonly states = new Map<string, JobState>();
  readonly instances = new Map<string, FakeInstance>();
  /** Every instance creation (startNew that created or replaced an instance). */
  readonly starts: { orchestrator: string; instanceId: string; input: unknown }[] = [];
  readonly terminations: string[] = [];
  /** When false, signals are accepted but never applied (an entity that is not answering). */
  processing = true;
  /** Signals accepted while not processing, applied by `deliverHeld()`. */
  readonly held: { job: string; operation: string; input: unknown }[] = [];
  now = 1_000_000;
  /** When true, a started run confirms itself on the next turn, as its orchestration's first step does. */
  confirmRuns = false;
  private tickets = 0;

  constructor(readonly config: CoordinatorConfig = { leaseMs: 60_000, maxQueue: 1 }) {}

  apply(job: string, operation: string, input: unknown): unknown {
    const state = this.states.get(job) ?? initialState(job);
    const applied = applyOperation(state, operation, input, this.now, this.config);
    this.states.set(job, applied.state);
    return applied.answer;
  }

  /** Applies the signals held back while `processing` was false, in order. */
  deliverHeld(): void {
    for (const { job, operation, input } of this.held.splice(0)) this.apply(job, operation, input);
  }

  client(): CoordinatorClient {
    return {
      signal: async (job, operation, input) => {
        if (!this.processing) {
          this.held.push({ job, operation, input });
          return;
        }
        await new Promise((resolve) => setImmediate(resolve));
        this.apply(job, operation, input);
      },
      readState: async (job) => structuredClone(this.states.get(job)),
      startNew: async (orchestrator, instanceId, input) => {
        const existing = this.instances.get(instanceId);
        if (existing && ["Pending", "Running"].includes(existing.status)) return "conflict";
        this.starts.push({ orchestrator, instanceId, input });
        this.instances.set(instanceId, { status: "Running", orchestrator, input });
        const run = input as { job?: string; generation?: number } | undefined;
        if (this.confirmRuns && run?.job !== undefined && run.generation !== undefined) {
          const { job, generation } = run;
          setImmediate(() => this.apply(job, "confirm", { generation, instanceId }));
        }
        return "started";
      },
      instance: async (instanceId) => {
        const found = this.instances.get(instanceId);
        if (!found) return { status: "NotFound" };
        const generation = (found.input as { generation?: number } | undefined)?.generation;
        return generation === undefined ? { status: found.status } : { status: found.status, generation };
      },
      terminate: async (instanceId) => {
        this.terminations.push(instanceId);
        const existing = this.instances.get(instanceId);
        if (existing) existing.status = "Terminated";
      },
      newTicket: () => `t${++this.tickets}`,
      sleep: () => new Promise((resolve) => setImmediate(resolve)),
      now: () => this.now,
    };
  }
}
