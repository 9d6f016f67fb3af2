/**
 * The whole start protocol under random interleavings (fast-check's scheduler decides the order in which
 * every Durable call, orchestration step, outside termination and clock jump happens): the real starter
 * algorithm (core/startJob.ts) and the real coordinator (core/coordinator.ts), with orchestrations
 * modelled on the singleton wrapper (confirm first; terminate a replaced run; user code; complete; start the
 * promoted run). Starters race, crash after their decision, retry with the same key; orchestrations are
 * terminated from outside; the clock jumps past leases.
 *
 * Invariant: user code never runs in two instances of the job at once, and every starter told "started"
 * names a generation whose run was accepted exactly once.
 */
import fc from "fast-check";
import { initialState } from "../../core/boundedState";
import { applyOperation } from "../../core/coordinator";
import { startJob, type CoordinatorClient, type InstanceStatus } from "../../core/startJob";
import type {
  ConfirmAnswer,
  CoordinatorConfig,
  JobState,
  Policy,
  ReleaseAnswer,
  RunEnvelope,
} from "../../core/types";

const JOB = "job";
const config: CoordinatorConfig = { leaseMs: 1000, maxQueue: 1 };

interface Instance {
  id: string;
  status: InstanceStatus;
  generation: number;
  userCode: boolean;
}

class World {
  state: JobState = initialState(JOB);
  now = 1_000_000;
  readonly instances = new Map<string, Instance>();
  maxConcurrentUserCode = 0;
  userCodeRuns = 0;

  apply(op: string, input: unknown): unknown {
    const r = applyOperation(this.state, op, input, this.now, config);
    this.state = r.state;
    return r.answer;
  }

  /** Request keys whose user code ran, in order: a request id must never get two runs. */
  readonly runsOfKey: number[] = [];

  enterUserCode(instance: Instance, key: number): void {
    instance.userCode = true;
    this.userCodeRuns++;
    this.runsOfKey.push(key);
    const running = [...this.instances.values()].filter((i) => i.userCode).length;
    this.maxConcurrentUserCode = Math.max(this.maxConcurrentUserCode, running);
  }

  terminate(id: string): void {
    const instance = this.instances.get(id);
    if (!instance || !["Pending", "Running"].includes(instance.status)) return;
    instance.status = "Terminated";
    instance.userCode = false;
  }
}

function scenario(s: fc.Scheduler, world: World) {
  // Each call takes effect when the scheduler releases it (not when it is made), so effects interleave freely.
  const step =
    <A extends unknown[], T>(f: (...args: A) => T) =>
    async (...args: A): Promise<T> => {
      await s.schedule(Promise.resolve());
      return f(...args);
    };

  // Every Durable call the starters and orchestrations make goes through the scheduler.
  const callEntity = step((op: string, input: unknown) => world.apply(op, input));
  const work = step(() => undefined);

  async function orchestrate(
    instance: Instance,
    envelope: RunEnvelope,
    client: CoordinatorClient,
  ): Promise<void> {
    const answer = (await callEntity("confirm", {
      generation: envelope.generation,
      instanceId: instance.id,
    })) as ConfirmAnswer;
    if (instance.status !== "Running") return;
    if (answer.status !== "holder") {
      instance.status = "Completed"; // superseded: ends without user code
      return;
    }
    for (const replaced of answer.terminate ?? []) await client.terminate(replaced.instanceId, "replaced");
    if (instance.status !== "Running") return;
    world.enterUserCode(instance, (envelope.input as { key: number }).key);
    await work();
    if (instance.status !== "Running") return; // terminated while working
    instance.userCode = false;
    const released = (await callEntity("complete", {
      generation: envelope.generation,
      outcome: "completed",
    })) as ReleaseAnswer;
    if (instance.status !== "Running") return;
    instance.status = "Completed";
    if (released.promoted) {
      const { instanceId, orchestrator, job, generation, input } = released.promoted;
      await client.startRun(orchestrator, instanceId, { job, generation, input });
    }
  }

  function makeClient(crashBeforeStart: boolean): CoordinatorClient {
    const client: CoordinatorClient = {
      signal: step((_job: string, op: string, input: unknown) => void world.apply(op, input)),
      readState: step(() => structuredClone(world.state)),
      startRun: step((_orchestrator: string, instanceId: string, envelope: RunEnvelope) => {
        if (crashBeforeStart) return; // the starter died after its decision
        const existing = world.instances.get(instanceId);
        if (existing && ["Pending", "Running"].includes(existing.status)) return;
        const instance: Instance = {
          id: instanceId,
          status: "Running",
          generation: envelope.generation,
          userCode: false,
        };
        world.instances.set(instanceId, instance);
        void orchestrate(instance, envelope, makeClient(false));
      }),
      terminate: step((instanceId: string) => world.terminate(instanceId)),
      instanceStatus: step((instanceId: string) => world.instances.get(instanceId)?.status ?? "NotFound"),
      sleep: step(() => undefined),
      now: () => world.now,
    };
    return client;
  }
  return { makeClient, step };
}

const starterArb = fc.record({
  policy: fc.constantFrom<Policy>("reject", "useExisting", "replace", "queue"),
  key: fc.nat(4), // a small pool of keys, so some starters are retries of others
  crash: fc.boolean(),
  // scheduler steps to wait before starting: late starters meet runs that are live, ended or terminated
  late: fc.nat(6),
});
const disturbanceArb = fc.oneof(
  fc.record({ kind: fc.constant("terminate" as const) }),
  fc.record({ kind: fc.constant("clock" as const), ms: fc.constantFrom(10, 500, 1001) }),
);

test("random interleavings of starters, crashes, retries, terminations and clock jumps never run two holders", async () => {
  const seen = {
    runs: 0,
    userCodeRuns: 0,
    started: 0,
    rejected: 0,
    superseded: 0,
    reconciled: 0,
    replaced: 0,
  };
  await fc.assert(
    fc.asyncProperty(
      fc.scheduler(),
      fc.array(starterArb, { minLength: 2, maxLength: 8 }),
      fc.array(disturbanceArb, { maxLength: 4 }),
      async (s, starters, disturbances) => {
        const world = new World();
        const { makeClient, step } = scenario(s, world);
        const options = {
          waitBudgetMs: 10_000,
          poll: { initialMs: 1, maxMs: 8, factor: 2 },
          redriveAfterMs: 0,
        };
        const pause = step(() => undefined);
        const outcomes = starters.map(async ({ policy, key, crash, late }) => {
          for (let i = 0; i < late; i++) await pause();
          const request = { requestId: `r${key}`, orchestrator: "o", policy, input: { key } };
          return startJob(makeClient(crash), JOB, request, options);
        });
        for (const d of disturbances) {
          // An outside terminate of whatever run holds the job at that moment.
          if (d.kind === "terminate")
            void step(() => world.terminate(world.state.active?.instanceId ?? ""))();
          else void step(() => (world.now += d.ms))();
        }
        await s.waitIdle();
        const results = await Promise.all(outcomes);

        // Every starter gets an answer: a starter left waiting would be a liveness bug (e.g. waiting for
        // an attempt the entity never records).
        expect(results.filter((r) => r.kind === "timeout")).toEqual([]);
        seen.runs++;
        seen.userCodeRuns += world.userCodeRuns;
        seen.started += results.filter((r) => r.kind === "started").length;
        seen.rejected += results.filter((r) => r.kind === "rejected").length;
        seen.superseded += world.state.counters.superseded;
        seen.reconciled += world.state.counters.reconciled;
        seen.replaced += world.state.counters.replaced;
        expect(world.maxConcurrentUserCode).toBeLessThanOrEqual(1);
        expect(new Set(world.runsOfKey).size).toBe(world.runsOfKey.length); // one run per request id at most
        // Generations only grow, and every "started" answer names a generation that was handed out.
        for (const r of results) {
          if (r.kind === "started") expect(r.generation).toBeLessThanOrEqual(world.state.generation);
        }
        // The same key always got the same decision kind... unless a reconcile re-decided it for a later attempt.
        const active = world.state.active;
        if (active?.phase === "running") {
          const holder = world.instances.get(active.instanceId);
          expect(holder?.generation).toBe(active.generation);
        }
      },
    ),
    { numRuns: 1000 },
  );
  // The scenarios really exercised the protocol: user code ran, and every path was taken.
  expect(seen.runs).toBe(1000);
  console.log(`protocol property: ${JSON.stringify(seen)}`);
  for (const [name, count] of Object.entries(seen)) expect([name, count > 0]).toEqual([name, true]);
});
