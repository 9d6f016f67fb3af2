/**
 * Property test over random operation sequences and clock moves:
 * - at most one generation is ever running (confirmed and not yet displaced),
 * - generations never repeat,
 * - a confirmed holder is only displaced by replace, release, reconcile or its own complete,
 * - a stale report never changes the active run,
 * - compare-and-set: a start request that expects another seq changes nothing but the outdated count, and
 *   every request that is decided advances seq by one,
 * - only the caller whose ticket the run carries is told to start it,
 * - a paused job never accepts a start (no new generation until it is resumed), and resume restores exactly
 *   the job as it was before the pause, queue included,
 * - a schedule's tick for a time the job has seen changes nothing; any other is decided and recorded,
 * - the state stays under 16 KB.
 */
import fc from "fast-check";
import {
  initialState,
  MAX_QUEUED_INPUT_BYTES,
  MAX_QUEUE_LIMIT,
  stateSizeBytes,
} from "../../core/boundedState";
import { applyOperation, complete, confirm, pause, resume, tick, tryStart } from "../../core/coordinator";
import { MAX_RUNS } from "../../core/runHistory";
import {
  OBSERVED_STATUSES,
  OVERLAPS,
  POLICIES,
  type CoordinatorConfig,
  type JobState,
  type Policy,
} from "../../core/types";
import { MAX_REASON_CHARS } from "../../core/validation";

const config: CoordinatorConfig = { leaseMs: 1000, maxQueue: 2 };
const SIZE_LIMIT = 16 * 1024;

type Cas = "none" | "current" | "stale";

type Op =
  | {
      op: "tryStart";
      key: number;
      policy: (typeof POLICIES)[number];
      fixed: boolean;
      cas: "none" | "current" | "stale";
      ticket: number | null;
    }
  | { op: "confirm"; genOffset: number }
  | { op: "complete"; genOffset: number; failed: boolean }
  | { op: "reconcile"; genOffset: number; status: (typeof OBSERVED_STATUSES)[number] }
  | { op: "release"; genOffset: number | null }
  | { op: "note"; answer: "rejected" | "existing" }
  | { op: "pause"; key: number; cas: Cas }
  | { op: "resume"; key: number; cas: Cas; ticket: number | null }
  | {
      op: "tick";
      /** Scheduled time, in minutes from the start: ticks repeat, come late and out of order. */
      minute: number;
      overlap: (typeof OVERLAPS)[number];
      cas: Cas;
      ticket: number | null;
      pastDue: boolean;
      windowMinutes: number;
    }
  | { op: "advance"; ms: number };

const casArb = fc.constantFrom<Cas>("none", "current", "stale");
/** The first scheduled time of the ticks below (a whole minute). */
const TICKS_FROM = Date.UTC(2030, 0, 1);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("tryStart" as const),
    key: fc.nat(30),
    policy: fc.constantFrom(...POLICIES),
    fixed: fc.boolean(),
    cas: casArb,
    ticket: fc.option(fc.nat(3)),
  }),
  fc.record({ op: fc.constant("confirm" as const), genOffset: fc.integer({ min: -2, max: 1 }) }),
  fc.record({
    op: fc.constant("complete" as const),
    genOffset: fc.integer({ min: -2, max: 1 }),
    failed: fc.boolean(),
  }),
  fc.record({
    op: fc.constant("reconcile" as const),
    genOffset: fc.integer({ min: -2, max: 1 }),
    status: fc.constantFrom(...OBSERVED_STATUSES),
  }),
  fc.record({ op: fc.constant("release" as const), genOffset: fc.option(fc.integer({ min: -1, max: 0 })) }),
  fc.record({
    op: fc.constant("note" as const),
    answer: fc.constantFrom("rejected" as const, "existing" as const),
  }),
  fc.record({ op: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 2500 }) }),
  fc.record({
    op: fc.constant("tick" as const),
    minute: fc.nat(40),
    overlap: fc.constantFrom(...OVERLAPS),
    cas: casArb,
    ticket: fc.option(fc.nat(3)),
    pastDue: fc.boolean(),
    windowMinutes: fc.constantFrom(0, 3, 60),
  }),
  fc.record({ op: fc.constant("pause" as const), key: fc.nat(30), cas: casArb }),
  fc.record({
    op: fc.constant("resume" as const),
    key: fc.nat(30),
    cas: casArb,
    ticket: fc.option(fc.nat(3)),
  }),
);

// Long request ids (64 chars, the maximum a starter accepts) to stress the size bound.
const requestId = (key: number) => `${String(key).padStart(4, "0")}-`.padEnd(64, "x");
/** The `expectSeq` of a compare-and-set request: none, the current seq, or an older one. */
const casSeq = (cas: Cas, seq: number) =>
  cas === "none" ? undefined : cas === "current" ? seq : Math.max(0, seq - 1);

/** The holder of `ticket` must start this run: the active one, or one displaced before it confirmed. */
const holdsStartTicket = (state: JobState, generation: number, ticket: string | undefined) =>
  (state.active?.generation === generation &&
    state.active.phase === "starting" &&
    state.active.starter === ticket) ||
  (state.displaced ?? []).some((d) => d.generation === generation && d.starter === ticket);

test("random operation sequences keep the coordinator's invariants", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 80, size: "max" }), (ops) => {
      let state: JobState = initialState("job-with-a-fairly-long-name-to-stress-the-state-size-bound-0001");
      let now = 1_000_000;
      const issued = new Set<number>();
      let maxIssued = 0;
      const running = new Set<number>(); // confirmed and not displaced

      for (const o of ops) {
        const before = state;
        const activeGen = state.active?.generation ?? state.generation;
        let legitimateDisplacement = false;
        switch (o.op) {
          case "advance":
            now += o.ms;
            continue;
          case "tryStart": {
            const expectSeq = casSeq(o.cas, state.seq);
            const ticket = o.ticket === null ? undefined : `t${o.ticket}`;
            const r = tryStart(
              state,
              {
                requestId: requestId(o.key),
                orchestrator: "orch",
                policy: o.policy,
                input: { n: o.key },
                ...(o.fixed ? { instanceId: "fixed" } : {}),
                ...(expectSeq === undefined ? {} : { expectSeq }),
                ...(ticket === undefined ? {} : { starter: ticket }),
              },
              now,
              config,
            );
            if (r.answer.kind === "outdated") {
              expect(expectSeq).not.toBe(state.seq);
              expect(r.state).toEqual({
                ...state,
                counters: { ...state.counters, outdated: state.counters.outdated + 1 },
              });
            } else {
              // Decided now (seq + 1) or a standing decision of this request id (nothing changes).
              expect([state.seq, state.seq + 1]).toContain(r.state.seq);
              if (r.state.seq === state.seq) expect(r.state).toBe(state);
              if (r.answer.mustStart) {
                expect(ticket).toBeDefined();
                expect(holdsStartTicket(r.state, r.answer.mustStart.generation, ticket)).toBe(true);
              }
            }
            if (r.answer.kind === "started" && !issued.has(r.answer.generation)) {
              expect(r.answer.generation).toBe(r.state.generation);
            }
            legitimateDisplacement = o.policy === "replace";
            state = r.state;
            break;
          }
          case "tick": {
            const expectSeq = casSeq(o.cas, state.seq);
            const ticket = o.ticket === null ? undefined : `t${o.ticket}`;
            const scheduledAt = TICKS_FROM + o.minute * 60_000;
            const r = tick(
              state,
              {
                scheduledAt,
                firedAt: scheduledAt + 1000,
                ...(o.pastDue ? { pastDue: true } : {}),
                orchestrator: "orch",
                input: { minute: o.minute },
                overlap: o.overlap,
                cron: "0 * * * * *",
                timeZone: "UTC",
                catchUpWindowMs: o.windowMinutes * 60_000,
                ...(expectSeq === undefined ? {} : { expectSeq }),
                ...(ticket === undefined ? {} : { starter: ticket }),
              },
              now,
              config,
            );
            const last = state.ticks?.last;
            if (last !== undefined && scheduledAt <= last) {
              // A duplicate of a decided tick (or an older one): nothing changes.
              expect(r.answer.kind).toBe("duplicate");
              expect(r.state).toBe(state);
            } else if (r.answer.kind === "notDue") {
              // A late first tick: the schedule began after it.
              expect([last, o.pastDue]).toEqual([undefined, true]);
              expect(r.state).toBe(state);
            } else if (r.answer.kind === "outdated") {
              expect(expectSeq).not.toBe(state.seq);
              expect(r.state.ticks).toEqual(state.ticks);
            } else {
              // Every other tick is decided and recorded, whatever it decides.
              expect(r.state.seq).toBe(state.seq + 1);
              expect(r.state.ticks?.last).toBe(scheduledAt);
              expect(r.state.ticks?.missed).toBeGreaterThanOrEqual(state.ticks?.missed ?? 0);
              expect(r.state.events.at(-1)?.[1]).toMatch(/^(tick|catchUp):/);
            }
            if ((r.answer.kind === "duplicate" || r.answer.kind === "ticked") && r.answer.mustStart) {
              expect(ticket).toBeDefined();
              expect(holdsStartTicket(r.state, r.answer.mustStart.generation, ticket)).toBe(true);
            }
            legitimateDisplacement = o.overlap === "replace";
            state = r.state;
            break;
          }
          case "confirm": {
            const g = Math.max(0, activeGen + o.genOffset);
            const instanceId = state.active?.generation === g ? state.active.instanceId : `job:${g}`;
            const r = confirm(state, { generation: g, instanceId }, now);
            if (r.answer.status === "holder") running.add(g);
            else expect(r.state.active).toEqual(before.active);
            state = r.state;
            break;
          }
          case "complete": {
            const g = Math.max(0, activeGen + o.genOffset);
            const r = complete(
              state,
              { generation: g, outcome: o.failed ? "failed" : "completed" },
              now,
              config,
            );
            if (before.active?.generation !== g) expect(r.state.active).toEqual(before.active);
            legitimateDisplacement = before.active?.generation === g;
            state = r.state;
            break;
          }
          case "reconcile": {
            const g = Math.max(0, activeGen + o.genOffset);
            const r = applyOperation(
              state,
              "reconcile",
              { generation: g, observedStatus: o.status },
              now,
              config,
            );
            if (before.active?.generation !== g) expect(r.state.active).toEqual(before.active);
            legitimateDisplacement = before.active?.generation === g;
            state = r.state;
            break;
          }
          case "release": {
            const input = o.genOffset === null ? {} : { generation: Math.max(0, activeGen + o.genOffset) };
            state = applyOperation(state, "release", input, now, config).state;
            legitimateDisplacement =
              o.genOffset === null || before.active?.generation === activeGen + o.genOffset;
            break;
          }
          case "note":
            state = applyOperation(state, "noteAnswer", { answer: o.answer }, now, config).state;
            expect(state.counters[o.answer]).toBe(before.counters[o.answer] + 1);
            break;
          case "pause": {
            const expectSeq = casSeq(o.cas, state.seq);
            const r = pause(state, { requestId: requestId(o.key), by: "ops", expectSeq }, now);
            if (r.answer.kind === "outdated") expect(r.state.paused).toEqual(state.paused);
            // A request that paused the job earlier (since resumed) is answered again, not applied again.
            else if (r.answer.kind === "paused" && !r.answer.pause) expect(r.state).toBe(state);
            else expect(r.state.paused).toEqual(r.answer.pause);
            state = r.state;
            break;
          }
          case "resume": {
            const expectSeq = casSeq(o.cas, state.seq);
            const ticket = o.ticket === null ? undefined : `t${o.ticket}`;
            const r = resume(state, { requestId: requestId(o.key), expectSeq, starter: ticket }, now, config);
            if (r.answer.kind === "resumed" && r.answer.promoted) {
              expect(holdsStartTicket(r.state, r.answer.promoted.generation, ticket)).toBe(true);
            }
            state = r.state;
            break;
          }
        }
        // A paused job accepts no start: no new generation until a resume (which may promote the queue).
        if (before.paused && o.op !== "resume") {
          expect(state.generation).toBe(before.generation);
          expect(state.paused).toEqual(before.paused);
        }
        // A running generation that is no longer the active one was displaced: only legitimately.
        for (const g of [...running]) {
          if (state.active?.generation !== g) {
            expect(legitimateDisplacement).toBe(true);
            running.delete(g);
          }
        }
        expect(running.size).toBeLessThanOrEqual(1);
        if (state.active?.phase === "running") expect(running.has(state.active.generation)).toBe(true);
        // Every run ever made active has a generation greater than every one before it.
        if (state.active && !issued.has(state.active.generation)) {
          expect(state.active.generation).toBeGreaterThan(maxIssued);
          issued.add(state.active.generation);
          maxIssued = state.active.generation;
        }
        expect(state.generation).toBe(maxIssued);
        expect(state.seq).toBeGreaterThanOrEqual(before.seq);
        expect(stateSizeBytes(state)).toBeLessThan(SIZE_LIMIT);
      }
    }),
    { numRuns: 1000 },
  );
});

/** Applies operations (as the main property does, without its checks) to reach a random state. */
function reach(ops: Op[]): { state: JobState; now: number } {
  let state: JobState = initialState("job");
  let now = 1_000_000;
  for (const o of ops) {
    const g = Math.max(
      0,
      (state.active?.generation ?? state.generation) + ("genOffset" in o ? (o.genOffset ?? 0) : 0),
    );
    const inputs: Record<Op["op"], () => [string, unknown] | undefined> = {
      advance: () => void (now += (o as { ms: number }).ms),
      tryStart: () => {
        const t = o as Extract<Op, { op: "tryStart" }>;
        return [
          "tryStart",
          { requestId: requestId(t.key), orchestrator: "orch", policy: t.policy, input: { n: t.key } },
        ];
      },
      confirm: () => ["confirm", { generation: g, instanceId: state.active?.instanceId ?? `job:${g}` }],
      complete: () => ["complete", { generation: g, outcome: "completed" }],
      reconcile: () => ["reconcile", { generation: g, observedStatus: (o as { status: string }).status }],
      release: () => ["release", {}],
      note: () => ["noteAnswer", { answer: (o as { answer: string }).answer }],
      pause: () => ["pause", { requestId: requestId((o as { key: number }).key) }],
      resume: () => ["resume", { requestId: requestId((o as { key: number }).key) }],
      tick: () => {
        const t = o as Extract<Op, { op: "tick" }>;
        const scheduledAt = TICKS_FROM + t.minute * 60_000;
        const schedule = { cron: "0 * * * * *", timeZone: "UTC", catchUpWindowMs: 0 };
        return [
          "tick",
          { scheduledAt, firedAt: scheduledAt, orchestrator: "orch", overlap: t.overlap, ...schedule },
        ];
      },
    };
    const call = inputs[o.op]();
    if (call) state = applyOperation(state, call[0], call[1], now, config).state;
  }
  return { state, now };
}

test("a paused job refuses every start, and resume restores exactly the job before the pause, queue included", () => {
  const startArb = fc.record({
    key: fc.nat(30),
    policy: fc.constantFrom(...POLICIES),
    cas: fc.boolean(),
    ms: fc.integer({ min: 0, max: 2500 }),
  });
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), fc.array(startArb, { maxLength: 10 }), (ops, starts) => {
      const reached = reach(ops);
      let now = reached.now;
      const resumedFirst = resume(reached.state, { requestId: "resume-0" }, now, config).state;
      const before = resumedFirst;
      let state = pause(before, { requestId: "pause-1", by: "ops", reason: "incident" }, now).state;
      expect(state.paused).toEqual({ since: now, by: "ops", reason: "incident" });
      for (const s of starts) {
        now += s.ms; // leases may run out meanwhile: a paused job still changes nothing
        const r = tryStart(
          state,
          {
            requestId: `new-${s.key}`,
            orchestrator: "orch",
            policy: s.policy,
            ...(s.cas ? { expectSeq: state.seq } : {}),
          },
          now,
          config,
        );
        expect(r.answer).toMatchObject({ kind: "rejected", reason: "paused" });
        state = r.state;
      }
      const resumed = resume(state, { requestId: "resume-1", by: "ops" }, now, config);
      expect(resumed.answer).toEqual({ kind: "resumed" }); // nothing to promote: the job had its holder
      /** The job itself: everything but its decision count, its logs and its counters. */
      const job = (s: JobState): Partial<JobState> => {
        const copy: Partial<JobState> = { ...s };
        for (const key of ["seq", "events", "requests", "counters"] as const) delete copy[key];
        return copy;
      };
      expect(job(resumed.state)).toEqual(job(before));
      expect(resumed.state.counters).toEqual({
        ...before.counters,
        rejected: before.counters.rejected + starts.filter((s) => !s.cas).length,
      });
    }),
    { numRuns: 500 },
  );
});

test("the state stays under 16 KB after 100,000 runs", () => {
  // Every string at its maximum: 64-character names, keys and fixed instance ids, long summaries, and
  // 13-digit timestamps; every run fails, so every run record keeps its error summary.
  const long = (c: string) => c.repeat(64);
  let state = initialState("a-job-name-that-is-sixty-four-characters-long-for-the-worst-case-");
  let now = Date.UTC(2030, 0, 1);
  for (let i = 0; i < 100_000; i++) {
    const key = `request-${i}`.padEnd(64, "k");
    const start = tryStart(
      state,
      { requestId: key, orchestrator: long("o"), policy: "queue", input: { i }, instanceId: long("i") },
      now,
      config,
    );
    state = start.state;
    if (start.answer.kind === "started") {
      const { generation, instanceId } = start.answer;
      state = confirm(state, { generation, instanceId }, now).state;
      state = complete(
        state,
        { generation, outcome: "failed", summary: "x".repeat(500) },
        now + 1,
        config,
      ).state;
    }
    now += 10;
  }
  expect(state.generation).toBe(100_000);
  expect(state.counters.failed).toBe(100_000);
  expect(state.runs).toHaveLength(MAX_RUNS);
  expect(stateSizeBytes(state)).toBeLessThan(SIZE_LIMIT);

  // Worst case on top: a replaced running holder still to terminate, a new holder, a full queue of
  // maximal inputs, and a pause with the longest who and why.
  const worst = { ...config, maxQueue: MAX_QUEUE_LIMIT };
  const ask = (requestId: string, policy: Policy, input?: unknown) => ({
    requestId: requestId.padEnd(64, "r"),
    orchestrator: long("o"),
    policy,
    instanceId: long("i"),
    ...(input === undefined ? {} : { input }),
  });
  state = tryStart(state, ask("h", "reject"), now, worst).state;
  state = confirm(state, { generation: state.generation, instanceId: long("i") }, now).state;
  state = tryStart(state, ask("replace", "replace"), now, worst).state;
  expect(state.toTerminate).toHaveLength(1);
  for (let q = 0; q < MAX_QUEUE_LIMIT; q++) {
    state = tryStart(state, ask(`q${q}`, "queue", "i".repeat(MAX_QUEUED_INPUT_BYTES - 2)), now, worst).state;
  }
  expect(state.queue).toHaveLength(MAX_QUEUE_LIMIT);
  state = pause(
    state,
    { requestId: long("p"), by: long("b"), reason: "r".repeat(MAX_REASON_CHARS) },
    now,
  ).state;
  expect(state.paused?.reason).toHaveLength(MAX_REASON_CHARS);
  // A schedule's bookkeeping on top: a tick after a long gap records the (capped) missed ticks, and a
  // catch-up refused while paused, with a 13-digit missed total.
  state = {
    ...state,
    ticks: { last: now - 20 * 86_400_000, outcome: "replaced", missed: 9_999_999_999_999 },
  };
  const firedAt = now + 60_000;
  state = tick(
    state,
    {
      scheduledAt: firedAt,
      firedAt,
      orchestrator: long("o"),
      overlap: "replace",
      cron: "* * * * * *",
      timeZone: "UTC",
      catchUpWindowMs: 86_400_000,
    },
    firedAt,
    worst,
  ).state;
  expect(state.ticks).toMatchObject({ outcome: "paused", catchUp: true });
  expect(state.events.slice(-2).map(([, type, , detail]) => [type, detail])).toEqual([
    ["tick:missed", expect.stringMatching(/^10000\+ from /)],
    ["catchUp:paused", expect.stringMatching(/ \+\d{5}$/)],
  ]);
  const size = stateSizeBytes(state);
  console.log(`worst-case entity state: ${size} bytes (run history: ${JSON.stringify(state.runs).length})`);
  expect(size).toBeLessThan(SIZE_LIMIT);
});
