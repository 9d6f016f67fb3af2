/**
 * An in-memory `CoordinatorClient`: entity operations go through the pure coordinator in arrival
 * order (one queue, like the entity's), orchestration instances are a map of statuses. Signals are
 * applied on the next turn of the event loop, so concurrent starters really interleave.
 */
import { initialState } from "../../core/boundedState";
import { applyOperation } from "../../core/coordinator";
import type { CoordinatorClient, InstanceStatus } from "../../core/startJob";
import type { CoordinatorConfig, JobState, RunEnvelope } from "../../core/types";

export class FakeCoordinator {
  readonly states = new Map<string, JobState>();
  readonly instances = new Map<
    string,
    { status: InstanceStatus; orchestrator: string; envelope: RunEnvelope }
  >();
  readonly starts: { orchestrator: string; instanceId: string; envelope: RunEnvelope }[] = [];
  readonly terminations: string[] = [];
  /** When false, signals are accepted but never applied (an entity that is not answering). */
  processing = true;
  now = 1_000_000;

  constructor(readonly config: CoordinatorConfig = { leaseMs: 60_000, maxQueue: 1 }) {}

  apply(job: string, operation: string, input: unknown): unknown {
    const state = this.states.get(job) ?? initialState(job);
    const applied = applyOperation(state, operation, input, this.now, this.config);
    this.states.set(job, applied.state);
    return applied.answer;
  }

  client(): CoordinatorClient {
    return {
      signal: async (job, operation, input) => {
        if (!this.processing) return;
        await new Promise((resolve) => setImmediate(resolve));
        this.apply(job, operation, input);
      },
      readState: async (job) => this.states.get(job),
      startRun: async (orchestrator, instanceId, envelope) => {
        this.starts.push({ orchestrator, instanceId, envelope });
        const existing = this.instances.get(instanceId);
        if (existing && ["Pending", "Running"].includes(existing.status)) return;
        this.instances.set(instanceId, { status: "Running", orchestrator, envelope });
      },
      terminate: async (instanceId) => {
        this.terminations.push(instanceId);
        const existing = this.instances.get(instanceId);
        if (existing) existing.status = "Terminated";
      },
      instanceStatus: async (instanceId) => this.instances.get(instanceId)?.status ?? "NotFound",
      sleep: () => new Promise((resolve) => setImmediate(resolve)),
      now: () => this.now,
    };
  }
}
