/**
 * The whole protocol under random interleavings. fast-check's scheduler decides when every Durable call,
 * message delivery, entity batch, orchestration step, outside termination and clock jump happens, and
 * the code under test is the production code itself:
 * - starters run `startJob` (core/startJob.ts), admin releases `releaseJob` (core/releaseJob.ts), and
 *   admin pauses and resumes `pauseJob` / `resumeJob` (core/pauseJob.ts);
 * - the entity runs the coordinator (`applyOperation`) over batches of delivered messages;
 * - every run's orchestration is driven by `runSteps` (core/runSteps.ts), the generator the singleton
 *   wrapper drives; every pending request's follow-up by `followUpSteps` (core/followUp.ts);
 * - starts go through `startRunOnce` (core/startRun.ts), as in the app.
 * Messages are delivered late and out of order between senders (a slow backend), starters crash at any
 * Durable call, retry with the same key, arrive after the run ended; runs are terminated from outside; the
 * clock jumps past leases; storms put hundreds of starters on one job.
 *
 * Schedule ticks run `tickJob` (core/tickJob.ts) as the timer binding does: each scheduled time fired
 * several times (duplicates, retries, second hosts), late and crashing, among starters and pauses.
 *
 * Invariants: user code never runs in two instances at once; a paused job never accepts a start (no new
 * generation until a resume, whose caller starts the run it promotes); a request id (a scheduled time) never gets two runs; no run is
 * started twice (one execution per instance and generation, a finished run is never started again); every
 * starter that did not crash gets an answer, and every `pending` answer's follow-up ends with a decision;
 * a run whose start ticket belongs to a live party is started.
 */
import fc from "fast-check";
import { initialState } from "../../core/boundedState";
import { applyOperation, type OperationName } from "../../core/coordinator";
import {
  LIVE_STATUSES,
  type CoordinatorClient,
  type InstanceInfo,
  type InstanceStatus,
} from "../../core/coordinatorClient";
import { followUpSteps, type FollowUpResult, type PendingRequest } from "../../core/followUp";
import { FOLLOW_UP_ORCHESTRATOR } from "../../core/names";
import { pauseJob, resumeJob, type PauseOutcome, type ResumeOutcome } from "../../core/pauseJob";
import { releaseJob, type ReleaseOutcome } from "../../core/releaseJob";
import { runSteps, type UserCodeOutcome } from "../../core/runSteps";
import { startJob, type StartOptions, type StartOutcome } from "../../core/startJob";
import type { Schedule } from "../../core/schedules";
import { startRunOnce } from "../../core/startRun";
import { tickJob, type TickResult } from "../../core/tickJob";
import {
  OVERLAPS,
  type CoordinatorConfig,
  type JobState,
  type Overlap,
  type Policy,
  type ResumeAnswer,
  type RunEnvelope,
} from "../../core/types";

const JOB = "job";
const config: CoordinatorConfig = { leaseMs: 1000, maxQueue: 1 };
const poll = { initialMs: 1, maxMs: 8, factor: 2 };

interface Instance {
  id: string;
  status: InstanceStatus;
  input: unknown;
  /** Executions started under this id, by generation (a singleton run's envelope) or -1 (follow-up). */
  executions: Map<number, number>;
  userCode: boolean;
  output?: unknown;
}

/** The modelled Durable backend: one coordinator entity, instances, and a scheduler for every step. */
class World {
  state: JobState = initialState(JOB);
  now = 1_000_000;
  readonly instances = new Map<string, Instance>();
  private readonly inbox: { operation: string; input: unknown; reply?: (answer: unknown) => void }[] = [];
  private batchScheduled = false;
  maxConcurrentUserCode = 0;
  /** Queued requests a resume promoted (the resuming party holds their start tickets). */
  promotedOnResume = 0;
  displacedGivenUp = 0;
  /** Request keys whose user code ran, in order: a request id must never get two runs. */
  readonly runsOfKey: string[] = [];
  readonly violations: string[] = [];
  readonly followUps: Promise<FollowUpResult | undefined>[] = [];
  /** Tickets of parties that can no longer start anything (crashed starters, terminated orchestrations). */
  readonly deadTickets = new Set<string>();
  private tickets = 0;

  constructor(private readonly s: fc.Scheduler) {}

  /** A step the scheduler releases when it decides: every Durable interaction goes through one. */
  async step<T>(f: () => T): Promise<T> {
    await this.s.schedule(Promise.resolve());
    return f();
  }

  /** A message to the entity: delivered on a later step, then applied in the entity's next batch. */
  send(operation: string, input: unknown, reply?: (answer: unknown) => void): void {
    void this.step(() => {
      this.inbox.push({ operation, input, reply });
      if (!this.batchScheduled) {
        this.batchScheduled = true;
        void this.step(() => this.runBatch());
      }
    });
  }

  private runBatch(): void {
    this.batchScheduled = false;
    for (const { operation, input, reply } of this.inbox.splice(0)) {
      const before = this.state;
      const r = applyOperation(this.state, operation, input, this.now, config);
      this.state = r.state;
      // A displaced run given up unconfirmed (its lease ended, or too many were displaced): its request is
      // forgotten, like an abandoned holder's.
      const kept = new Set((r.state.displaced ?? []).map((d) => d.generation));
      for (const d of before.displaced ?? []) {
        const confirmed =
          operation === "confirm" && (input as { generation?: number }).generation === d.generation;
        if (!kept.has(d.generation) && !confirmed) this.displacedGivenUp++;
      }
      if (operation === "resume" && (r.answer as ResumeAnswer).kind === "resumed") {
        if ((r.answer as ResumeAnswer & { promoted?: unknown }).promoted) this.promotedOnResume++;
      }
      if (before.paused && operation !== "resume" && r.state.generation !== before.generation) {
        this.violations.push(`${operation} made generation ${r.state.generation} while the job was paused`);
      }
      // The answer to a call is a message back to the orchestration: delivered on a later step.
      if (reply) void this.step(() => reply(r.answer));
    }
  }

  callEntity(operation: string, input: unknown): Promise<unknown> {
    return new Promise((resolve) => this.send(operation, input, resolve));
  }

  newTicket(): string {
    return `t${++this.tickets}`;
  }

  enterUserCode(instance: Instance, key: string): void {
    instance.userCode = true;
    this.runsOfKey.push(key);
    const running = [...this.instances.values()].filter((i) => i.userCode).length;
    this.maxConcurrentUserCode = Math.max(this.maxConcurrentUserCode, running);
  }

  terminate(id: string): void {
    const instance = this.instances.get(id);
    if (!instance || !LIVE_STATUSES.has(instance.status)) return;
    instance.status = "Terminated";
    instance.userCode = false;
  }

  startNew(orchestrator: string, id: string, input: unknown): "started" | "conflict" {
    const existing = this.instances.get(id);
    if (existing && LIVE_STATUSES.has(existing.status)) return "conflict";
    const generation = orchestrator === FOLLOW_UP_ORCHESTRATOR ? -1 : (input as RunEnvelope).generation;
    const executions = existing?.executions ?? new Map<number, number>();
    const count = (executions.get(generation) ?? 0) + 1;
    executions.set(generation, count);
    if (count > 1) this.violations.push(`instance ${id} generation ${generation} started ${count} times`);
    const instance: Instance = { id, status: "Pending", input, executions, userCode: false };
    this.instances.set(id, instance);
    // The start message reaches the orchestration on a later step.
    void this.step(() => {
      if (instance.status !== "Pending") return;
      instance.status = "Running";
      if (orchestrator === FOLLOW_UP_ORCHESTRATOR) this.followUps.push(this.followUp(instance));
      else void this.orchestrate(instance, input as RunEnvelope);
    });
    return "started";
  }

  info(id: string): InstanceInfo {
    const instance = this.instances.get(id);
    if (!instance) return { status: "NotFound" };
    const generation = (instance.input as Partial<RunEnvelope>).generation;
    return generation === undefined ? { status: instance.status } : { status: instance.status, generation };
  }

  /** The app's client for one party; `crashAfter` calls in, every later call never returns (a dead process). */
  client(crashAfter = Infinity): CoordinatorClient {
    let calls = 0;
    const call = <T>(f: () => T): Promise<T> => {
      if (++calls > crashAfter) return new Promise<T>(() => undefined);
      return this.step(f);
    };
    return {
      signal: (_job: string, operation: OperationName, input: unknown) =>
        call(() => this.send(operation, input)),
      readState: () => call(() => structuredClone(this.state)),
      startNew: (orchestrator, id, input) => call(() => this.startNew(orchestrator, id, input)),
      instance: (id) => call(() => this.info(id)),
      terminate: (id) => call(() => this.terminate(id)),
      newTicket: () => this.newTicket(),
      sleep: () => call(() => undefined),
      now: () => this.now,
    };
  }

  private finish(instance: Instance, output: unknown, status: InstanceStatus): void {
    if (!LIVE_STATUSES.has(instance.status)) return;
    instance.status = status;
    instance.output = output;
    instance.userCode = false;
  }

  /** One execution of a singleton run, driven by the wrapper's own step generator. */
  private async orchestrate(instance: Instance, envelope: RunEnvelope): Promise<void> {
    const steps = runSteps(envelope, instance.id);
    const activities = this.client();
    let feed: unknown = undefined;
    for (;;) {
      if (instance.status !== "Running") return this.orphanTicket(instance);
      const next = steps.next(feed);
      if (next.done) {
        const end = next.value;
        if (end.kind === "superseded") return this.finish(instance, end.output, "Completed");
        return this.finish(instance, end.kind === "returned" ? end.value : String(end.error), "Completed");
      }
      const step = next.value;
      switch (step.kind) {
        case "confirm":
        case "complete":
          feed = await this.callEntity(step.kind, step.input);
          break;
        case "terminate":
          feed = await activities.terminate(step.instanceId, step.reason);
          break;
        case "userCode": {
          const key = (envelope.input as { key: string }).key;
          this.enterUserCode(instance, key);
          await this.step(() => undefined); // the user's work
          if (instance.status !== "Running") return this.orphanTicket(instance);
          instance.userCode = false;
          feed = {
            ok: true,
            value: { key, generation: envelope.generation },
            continuedAsNew: false,
          } satisfies UserCodeOutcome;
          break;
        }
        case "startRun":
          feed = await startRunOnce(activities, step.run, step.run.input, {
            waitBudgetMs: 1000,
            poll,
            precheck: true,
          });
          break;
      }
    }
  }

  /** A terminated orchestration can no longer start the run it may hold the ticket of. */
  private orphanTicket(instance: Instance): void {
    this.deadTickets.add(instance.id);
  }

  private async followUp(instance: Instance): Promise<FollowUpResult | undefined> {
    const steps = followUpSteps(instance.input as PendingRequest);
    const activities = this.client();
    let feed: unknown = undefined;
    for (;;) {
      const next = steps.next(feed);
      if (next.done) {
        this.finish(instance, next.value, "Completed");
        return next.value;
      }
      const step = next.value;
      if (step.kind === "callEntity") feed = await this.callEntity(step.operation, step.input);
      else if (step.kind === "terminate") feed = await activities.terminate(step.instanceId, step.reason);
      else if (step.kind === "waitUntil") {
        // Its durable timer fires: the world's clock has reached its time.
        feed = await this.client().sleep(0);
        this.step(() => (this.now = Math.max(this.now, step.at)));
      } else
        feed = await startRunOnce(activities, step.run, step.input, {
          waitBudgetMs: 1000,
          poll,
          precheck: true,
        });
    }
  }
}

interface StarterSpec {
  policy: Policy;
  key: number;
  /** Crash after this many Durable calls (null: never). */
  crashAfter: number | null;
  /** Scheduler steps to wait before starting: late starters meet runs that are live, ended or terminated. */
  late: number;
  /** A schedule's timer firing instead of an HTTP start: for the tick at this minute (see `tickSchedule`). */
  tick?: number;
}

/** Outside events, each after `late` scheduler steps. */
type Disturbance =
  | { kind: "terminate"; late: number }
  | { kind: "clock"; ms: number; late: number }
  | { kind: "release"; late: number }
  | { kind: "pause"; late: number }
  | { kind: "resume"; late: number };

interface Scenario {
  starters: StarterSpec[];
  disturbances: Disturbance[];
  /** Starters' wait budget: small budgets make slow deliveries end in `pending`. */
  budgetMs: number;
  /** The overlap policy of the job's schedule, for starters that are timer firings. */
  overlap?: Overlap;
}

/** The first scheduled time of the ticks (a minute mark; the entity's clock is elsewhere, as it may be). */
const TICKS_FROM = 60_000_000;

/**
 * The job's minutely schedule, as the firing for the tick at `minute` sees it. Its input names the tick,
 * so that the user code of a tick's run is keyed by its scheduled time (`runsOfKey`).
 */
function tickSchedule(minute: number, overlap: Overlap): Schedule {
  return {
    name: JOB,
    orchestrator: "o",
    schedule: "0 * * * * *",
    input: { key: `tick${minute}` },
    overlap,
    catchUpWindowMs: 0,
    timeZone: "UTC",
    timerSchedule: "0 * * * * *",
  };
}

interface Seen {
  runs: number;
  userCodeRuns: number;
  started: number;
  rejected: number;
  pending: number;
  superseded: number;
  reconciled: number;
  replaced: number;
  released: number;
  outdated: number;
  pausedRejections: number;
  pauses: number;
  resumes: number;
  /** Resumes that promoted a queued request (and started it, as its ticket holder). */
  promotedOnResume: number;
  /** Timer firings that decided their tick, that found it decided, and the runs ticks got. */
  ticks: number;
  duplicateTicks: number;
  pendingTicks: number;
  tickRuns: number;
}

async function play(s: fc.Scheduler, scenario: Scenario, seen: Seen): Promise<void> {
  const world = new World(s);
  const options: StartOptions = { waitBudgetMs: scenario.budgetMs, poll, config };
  const pause = () => world.step(() => undefined);
  const crashedTickets = (spec: StarterSpec, client: CoordinatorClient) => {
    if (spec.crashAfter === null) return client;
    // A crashing starter's ticket dies with it.
    return {
      ...client,
      newTicket: () => {
        const t = world.newTicket();
        world.deadTickets.add(t);
        return t;
      },
    };
  };
  const ticks: { minute: number; result: Promise<TickResult> }[] = [];
  const outcomes = scenario.starters.map(async (spec) => {
    for (let i = 0; i < spec.late; i++) await pause();
    if (spec.tick !== undefined) {
      // A timer firing: the tick for its minute (a duplicate firing, a retry, a second host).
      const client = crashedTickets(spec, world.client(spec.crashAfter ?? Infinity));
      const scheduledAt = TICKS_FROM + spec.tick * 60_000;
      const result = tickJob(
        client,
        tickSchedule(spec.tick, scenario.overlap ?? "skip"),
        {
          scheduledAt,
          firedAt: scheduledAt + 10 * spec.late,
        },
        options,
      );
      ticks.push({ minute: spec.tick, result });
      return result.then(() => ({ kind: "tick" }) as const);
    }
    const request = {
      requestId: `r${spec.key}`,
      orchestrator: "o",
      policy: spec.policy,
      input: { key: `r${spec.key}` },
    };
    const client = crashedTickets(spec, world.client(spec.crashAfter ?? Infinity));
    return startJob(client, JOB, request, options);
  });
  const releases: Promise<ReleaseOutcome>[] = [];
  const controls: Promise<PauseOutcome | ResumeOutcome>[] = [];
  for (const d of scenario.disturbances) {
    const later = async <T>(f: () => Promise<T>): Promise<T> => {
      for (let i = 0; i < d.late; i++) await pause();
      return f();
    };
    if (d.kind === "terminate") {
      // An outside terminate of whatever run holds the job at that moment.
      void later(() => world.step(() => world.terminate(world.state.active?.instanceId ?? "")));
    } else if (d.kind === "clock") {
      void later(() => world.step(() => (world.now += d.ms)));
    } else if (d.kind === "release") {
      const requestId = `rel${releases.length}`;
      releases.push(later(() => releaseJob(world.client(), JOB, { requestId, reason: "test" }, options)));
    } else {
      const request = { requestId: `${d.kind}${controls.length}`, by: "ops" };
      controls.push(
        later<PauseOutcome | ResumeOutcome>(() =>
          d.kind === "pause"
            ? pauseJob(world.client(), JOB, request, options)
            : resumeJob(world.client(), JOB, request, options),
        ),
      );
    }
  }
  await s.waitIdle();

  // Every starter that did not crash has its answer (a crashed one never returns: its promise is pending).
  const now = <T>(p: Promise<T>) => Promise.race([p, Promise.resolve(undefined)]);
  const settled = await Promise.all(outcomes.map(now));
  scenario.starters.forEach((spec, i) => {
    if (spec.crashAfter === null) expect([i, settled[i]?.kind]).toEqual([i, expect.any(String)]);
  });
  const answered = settled.filter((o): o is StartOutcome => o !== undefined && o.kind !== "tick");
  const releaseOutcomes = await Promise.all(releases.map(now));
  for (const r of releaseOutcomes)
    expect(["released", "notHeld", "pending", "unknownJob"]).toContain(r?.kind);
  const controlOutcomes = await Promise.all(controls.map(now));
  for (const c of controlOutcomes) {
    expect(["paused", "alreadyPaused", "resumed", "notPaused", "pending", "unknownJob"]).toContain(c?.kind);
  }

  // Every pending request's follow-up ended with a decision.
  const followUpResults = await Promise.all(world.followUps.map(now));
  expect(followUpResults.filter((r) => r === undefined)).toEqual([]);
  const pendings = [...answered, ...releaseOutcomes, ...controlOutcomes].filter(
    (o) => o?.kind === "pending",
  ).length;
  const pendingTicks = (await Promise.all(ticks.map((t) => now(t.result)))).filter(
    (r) => r?.kind === "pending",
  ).length;
  expect(followUpResults.length).toBeGreaterThanOrEqual(pendings + pendingTicks);

  // Every firing for one scheduled time that tells the tick's outcome tells the same one.
  const tickResults = await Promise.all(
    ticks.map(async (t) => ({ minute: t.minute, result: await now(t.result) })),
  );
  const outcomeOf = new Map<number, Set<string>>();
  for (const { minute, result } of tickResults) {
    if (result && (result.kind === "decided" || result.kind === "duplicate") && result.outcome) {
      outcomeOf.set(minute, (outcomeOf.get(minute) ?? new Set()).add(result.outcome));
    }
  }
  for (const told of outcomeOf.values()) expect(told.size).toBe(1);

  expect(world.violations).toEqual([]);
  expect(world.maxConcurrentUserCode).toBeLessThanOrEqual(1);
  // Every "started" answer names a run whose orchestration was started: a retry is never told "started" for a
  // run whose starter died before starting it (it waits for the run to confirm, or for its lease to end).
  for (const o of answered) {
    if (o.kind === "started")
      expect([o.generation, world.instances.get(o.instanceId)?.executions.get(o.generation)]).toEqual([
        o.generation,
        1,
      ]);
  }
  // So does every tick's (a firing's, or its follow-up's): a twin firing that decided the same time first
  // holds the run's start ticket, and may die before starting it.
  const tickDecisions = [
    ...tickResults.map((t) => t.result),
    ...followUpResults.map((r) => (r?.kind === "tick" ? r.result : undefined)),
  ].flatMap((r) => (r && "decision" in r && r.decision?.kind === "started" ? [r.decision] : []));
  for (const d of tickDecisions) {
    expect([d.generation, world.instances.get(d.instanceId)?.executions.get(d.generation)]).toEqual([
      d.generation,
      1,
    ]);
  }
  expect(new Set(world.runsOfKey).size).toBe(world.runsOfKey.length);
  // A run still unconfirmed was started (and then, say, terminated before it confirmed), or its start
  // ticket died with its holder: either way only its lease can free the job now, as designed.
  const active = world.state.active;
  if (active?.phase === "starting") {
    const started = world.instances.get(active.instanceId)?.executions.get(active.generation) === 1;
    expect([started, world.deadTickets.has(active.starter ?? "")]).toContain(true);
  }
  if (active?.phase === "running") {
    expect(world.instances.get(active.instanceId)?.executions.get(active.generation)).toBe(1);
  }
  // The same key is told the same run, unless a lease expired and an abandoned run was re-decided.
  if (world.state.counters.leaseExpired === 0 && world.displacedGivenUp === 0) {
    const byKey = new Map<string, Set<number>>();
    for (const [i, o] of settled.entries()) {
      if (o?.kind !== "started") continue;
      const key = `r${scenario.starters[i].key}`;
      byKey.set(key, (byKey.get(key) ?? new Set()).add(o.generation));
    }
    for (const generations of byKey.values()) expect(generations.size).toBe(1);
  }

  seen.runs++;
  seen.ticks += tickResults.filter((t) => t.result?.kind === "decided").length;
  seen.duplicateTicks += tickResults.filter((t) => t.result?.kind === "duplicate").length;
  seen.pendingTicks += tickResults.filter((t) => t.result?.kind === "pending").length;
  seen.tickRuns += world.runsOfKey.filter((k) => k.startsWith("tick")).length;
  seen.userCodeRuns += world.runsOfKey.length;
  seen.started += answered.filter((r) => r.kind === "started").length;
  seen.rejected += answered.filter((r) => r.kind === "rejected").length;
  seen.pending += pendings;
  seen.superseded += world.state.counters.superseded;
  seen.reconciled += world.state.counters.reconciled;
  seen.replaced += world.state.counters.replaced;
  seen.released += world.state.counters.released;
  seen.outdated += world.state.counters.outdated;
  seen.pausedRejections += answered.filter((r) => r.kind === "rejected" && r.reason === "paused").length;
  seen.pauses += world.state.events.filter(([, type]) => type === "paused").length;
  seen.resumes += world.state.events.filter(([, type]) => type === "resumed").length;
  seen.promotedOnResume += world.promotedOnResume;
}

const starterArb = fc.record({
  policy: fc.constantFrom<Policy>("reject", "useExisting", "replace", "queue"),
  key: fc.nat(4), // a small pool of keys, so some starters are retries of others
  crashAfter: fc.option(fc.nat(6), { freq: 4 }),
  late: fc.nat(12),
});
const disturbanceArb: fc.Arbitrary<Disturbance> = fc.oneof(
  fc.record({ kind: fc.constant("terminate" as const), late: fc.nat(12) }),
  fc.record({ kind: fc.constant("clock" as const), ms: fc.constantFrom(10, 500, 1001), late: fc.nat(12) }),
  fc.record({ kind: fc.constant("release" as const), late: fc.nat(12) }),
  fc.record({ kind: fc.constant("pause" as const), late: fc.nat(6) }),
  // Resumes come later than the other disturbances, so that runs finish while the job is paused.
  fc.record({ kind: fc.constant("resume" as const), late: fc.integer({ min: 4, max: 40 }) }),
);
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  starters: fc.array(starterArb, { minLength: 2, maxLength: 8 }),
  disturbances: fc.array(disturbanceArb, { maxLength: 5 }),
  budgetMs: fc.constantFrom(3, 20, 10_000),
});

function emptySeen(): Seen {
  return {
    runs: 0,
    userCodeRuns: 0,
    started: 0,
    rejected: 0,
    pending: 0,
    superseded: 0,
    reconciled: 0,
    replaced: 0,
    released: 0,
    outdated: 0,
    pausedRejections: 0,
    pauses: 0,
    resumes: 0,
    promotedOnResume: 0,
    ticks: 0,
    duplicateTicks: 0,
    pendingTicks: 0,
    tickRuns: 0,
  };
}

test("random interleavings of starters, crashes, retries, releases, terminations, slow delivery and clock jumps", async () => {
  const seen = emptySeen();
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), scenarioArb, (s, scenario) => play(s, scenario, seen)),
    { numRuns: 1000 },
  );
  // The scenarios really exercised the protocol: user code ran, and every path was taken.
  expect(seen.runs).toBe(1000);
  console.log(`protocol property: ${JSON.stringify(seen)}`);
  // Every path was taken (a resume that promotes needs a queue and a holder finishing while paused: the
  // next test makes sure of that path).
  for (const [name, count] of Object.entries(seen)) {
    if (!["promotedOnResume", "ticks", "duplicateTicks", "pendingTicks", "tickRuns"].includes(name)) {
      expect([name, count > 0]).toEqual([name, true]);
    }
  }
});

test("pause with a queue: starts are refused, the queue waits, and whoever resumes starts its head", async () => {
  const seen = emptySeen();
  const pausedQueueArb: fc.Arbitrary<Scenario> = fc.record({
    starters: fc
      .tuple(
        fc.array(starterArb, { maxLength: 4 }),
        fc.array(fc.record({ key: fc.nat(4), late: fc.integer({ min: 1, max: 4 }) }), {
          minLength: 1,
          maxLength: 3,
        }),
      )
      .map(([others, queued]) => [
        { policy: "reject" as const, key: 0, crashAfter: null, late: 0 }, // the holder
        ...queued.map((q) => ({ policy: "queue" as const, key: q.key + 10, crashAfter: null, late: q.late })),
        ...others,
      ]),
    disturbances: fc
      .tuple(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 20, max: 60 }),
        fc.array(disturbanceArb, { maxLength: 2 }),
      )
      .map(([pauseAt, resumeAt, others]): Disturbance[] => [
        { kind: "pause", late: pauseAt },
        { kind: "resume", late: resumeAt },
        ...others,
      ]),
    budgetMs: fc.constantFrom(3, 20, 10_000),
  });
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), pausedQueueArb, (s, scenario) => play(s, scenario, seen)),
    { numRuns: 300 },
  );
  console.log(`protocol pause with a queue: ${JSON.stringify(seen)}`);
  for (const name of ["pausedRejections", "pauses", "resumes", "promotedOnResume", "userCodeRuns"] as const) {
    expect([name, seen[name] > 0]).toEqual([name, true]);
  }
});

test("storms: hundreds of starters on one job, same-key bursts, late starters and releases", async () => {
  const seen = emptySeen();
  const stormArb: fc.Arbitrary<Scenario> = fc.record({
    starters: fc
      .tuple(
        fc.integer({ min: 100, max: 300 }),
        fc.constantFrom<Policy>("reject", "useExisting", "queue", "replace"),
        fc.nat(20),
      )
      .map(([n, policy, sameKey]) =>
        Array.from({ length: n }, (_, i) => ({
          policy,
          key: i < sameKey ? 0 : i, // a burst of same-key requests among distinct ones
          crashAfter: null,
          late: i % 7,
        })),
      ),
    disturbances: fc.array(disturbanceArb, { maxLength: 2 }),
    budgetMs: fc.constantFrom(3, 10_000),
  });
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), stormArb, (s, scenario) => play(s, scenario, seen)),
    { numRuns: 40 },
  );
  console.log(`protocol storms: ${JSON.stringify(seen)}`);
  expect(seen.runs).toBe(40);
  for (const name of ["userCodeRuns", "started", "rejected", "pending", "outdated"] as const) {
    expect([name, seen[name] > 0]).toEqual([name, true]);
  }
});

test("schedule ticks: each scheduled time fired 1-5 times, late and crashing, among starters, pauses and slow delivery", async () => {
  const seen = emptySeen();
  const firingArb = fc.record({
    tick: fc.nat(2),
    crashAfter: fc.option(fc.nat(6), { freq: 4 }),
    late: fc.nat(12),
  });
  const tickScenarioArb: fc.Arbitrary<Scenario> = fc.record({
    starters: fc
      .tuple(fc.array(firingArb, { minLength: 2, maxLength: 10 }), fc.array(starterArb, { maxLength: 3 }))
      .map(([firings, starters]) => [
        ...firings.map((f) => ({ policy: "reject" as const, key: 100 + f.tick, ...f })),
        ...starters,
      ]),
    disturbances: fc.array(disturbanceArb, { maxLength: 3 }),
    budgetMs: fc.constantFrom(3, 20, 10_000),
    overlap: fc.constantFrom(...OVERLAPS),
  });
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), tickScenarioArb, (s, scenario) => play(s, scenario, seen)),
    { numRuns: 500 },
  );
  console.log(`protocol schedule ticks: ${JSON.stringify(seen)}`);
  for (const name of ["ticks", "duplicateTicks", "pendingTicks", "tickRuns", "pausedRejections"] as const) {
    expect([name, seen[name] > 0]).toEqual([name, true]);
  }
});
