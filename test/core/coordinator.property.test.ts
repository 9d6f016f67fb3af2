/**
 * Property test over random operation sequences and clock moves:
 * - at most one generation is ever running (confirmed and not yet displaced),
 * - generations never repeat,
 * - a confirmed holder is only displaced by replace, release, reconcile or its own complete,
 * - a stale report never changes the active run,
 * - compare-and-set: a start request that expects another seq changes nothing but the outdated count, and
 *   every request that is decided advances seq by one,
 * - only the caller whose ticket the run carries is told to start it,
 * - the state stays under 16 KB.
 */
import fc from "fast-check";
import {
  initialState,
  MAX_QUEUED_INPUT_BYTES,
  MAX_QUEUE_LIMIT,
  stateSizeBytes,
} from "../../core/boundedState";
import { applyOperation, complete, confirm, tryStart } from "../../core/coordinator";
import { OBSERVED_STATUSES, POLICIES, type CoordinatorConfig, type JobState } from "../../core/types";

const config: CoordinatorConfig = { leaseMs: 1000, maxQueue: 2 };
const SIZE_LIMIT = 16 * 1024;

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
  | { op: "advance"; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("tryStart" as const),
    key: fc.nat(30),
    policy: fc.constantFrom(...POLICIES),
    fixed: fc.boolean(),
    cas: fc.constantFrom("none" as const, "current" as const, "stale" as const),
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
);

// Long request ids (64 chars, the maximum a starter accepts) to stress the size bound.
const requestId = (key: number) => `${String(key).padStart(4, "0")}-`.padEnd(64, "x");

test("random operation sequences keep the coordinator's invariants", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 80 }), (ops) => {
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
            const expectSeq =
              o.cas === "none" ? undefined : o.cas === "current" ? state.seq : Math.max(0, state.seq - 1);
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
                expect(r.state.active).toMatchObject({ starter: ticket, phase: "starting" });
              }
            }
            if (r.answer.kind === "started" && !issued.has(r.answer.generation)) {
              expect(r.answer.generation).toBe(r.state.generation);
            }
            legitimateDisplacement = o.policy === "replace";
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

test("the state stays under 16 KB after 100,000 runs", () => {
  let state = initialState("a-job-name-that-is-sixty-four-characters-long-for-the-worst-case-");
  let now = 0;
  for (let i = 0; i < 100_000; i++) {
    const key = `request-${i}`.padEnd(64, "k");
    const start = tryStart(
      state,
      { requestId: key, orchestrator: "orch", policy: "queue", input: { i } },
      now,
      config,
    );
    state = start.state;
    if (start.answer.kind === "started") {
      state = confirm(
        state,
        { generation: start.answer.generation, instanceId: start.answer.instanceId },
        now,
      ).state;
      state = complete(
        state,
        { generation: start.answer.generation, outcome: "completed", summary: "x".repeat(500) },
        now,
        config,
      ).state;
    }
    now += 10;
  }
  expect(state.generation).toBe(100_000);
  expect(state.counters.completed).toBe(100_000);
  expect(stateSizeBytes(state)).toBeLessThan(SIZE_LIMIT);

  // Worst case on top: a holder and a full queue of maximal inputs.
  const worst = { ...config, maxQueue: MAX_QUEUE_LIMIT };
  state = tryStart(
    state,
    { requestId: "h".repeat(64), orchestrator: "o".repeat(64), policy: "reject" },
    now,
    worst,
  ).state;
  for (let q = 0; q < MAX_QUEUE_LIMIT; q++) {
    const input = "i".repeat(MAX_QUEUED_INPUT_BYTES - 2);
    state = tryStart(
      state,
      { requestId: `q${q}`.padEnd(64, "q"), orchestrator: "o".repeat(64), policy: "queue", input },
      now,
      worst,
    ).state;
  }
  expect(state.queue).toHaveLength(MAX_QUEUE_LIMIT);
  expect(stateSizeBytes(state)).toBeLessThan(SIZE_LIMIT);
});
