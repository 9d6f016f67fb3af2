/** Every operation in every phase of the coordinator, as a table of exact outcomes. */
import { initialState } from "../../core/boundedState";
import {
  applyOperation,
  complete,
  confirm,
  forceRelease,
  noteAnswer,
  pause,
  reconcile,
  resume,
  tryStart,
} from "../../core/coordinator";
import { MAX_RUNS } from "../../core/runHistory";
import {
  POLICIES,
  type CoordinatorConfig,
  type JobState,
  type Policy,
  type TryStartInput,
} from "../../core/types";

const config: CoordinatorConfig = { leaseMs: 1000, maxQueue: 1 };
/** A start request for orchestrator "orch". */
const ask = (requestId: string, policy: Policy): TryStartInput => ({
  requestId,
  orchestrator: "orch",
  policy,
});
const T0 = 1_000_000;

type Phase = "idle" | "starting" | "startingExpired" | "running";

/** Builds a state in the given phase; the holder (if any) is generation 1 with instance "job:1". */
function inPhase(phase: Phase): { state: JobState; now: number } {
  let state = initialState("job");
  if (phase === "idle") return { state, now: T0 };
  state = tryStart(state, ask("r1", "reject"), T0, config).state;
  if (phase === "starting") return { state, now: T0 + 10 };
  if (phase === "startingExpired") return { state, now: T0 + config.leaseMs + 1 };
  state = confirm(state, { generation: 1, instanceId: "job:1" }, T0 + 5).state;
  return { state, now: T0 + config.leaseMs + 1 };
}

describe("tryStart in every phase with every policy", () => {
  const cases: [Phase, Policy, string, number | undefined][] = [
    // phase, policy, expected decision kind, expected active generation after
    ["idle", "reject", "started", 1],
    ["idle", "useExisting", "started", 1],
    ["idle", "replace", "started", 1],
    ["idle", "queue", "started", 1],
    ["starting", "reject", "rejected", 1],
    ["starting", "useExisting", "existing", 1],
    ["starting", "replace", "started", 2],
    ["starting", "queue", "queued", 1],
    ["startingExpired", "reject", "started", 2],
    ["startingExpired", "useExisting", "started", 2],
    ["startingExpired", "replace", "started", 2],
    ["startingExpired", "queue", "started", 2],
    ["running", "reject", "rejected", 1],
    ["running", "useExisting", "existing", 1],
    ["running", "replace", "started", 2],
    ["running", "queue", "queued", 1],
  ];
  test.each(cases)("%s + %s -> %s (active generation %s)", (phase, policy, kind, activeGen) => {
    const { state, now } = inPhase(phase);
    const { state: next, answer } = tryStart(
      state,
      { requestId: "r2", orchestrator: "orch", policy },
      now,
      config,
    );
    expect(answer.kind).toBe(kind);
    expect(next.active?.generation).toBe(activeGen);
    expect(next.seq).toBe(state.seq + 1); // every decision advances seq
    if (answer.kind === "rejected" || answer.kind === "existing" || answer.kind === "queued") {
      expect(answer.holder).toMatchObject({ generation: 1, instanceId: "job:1" });
    }
    if (answer.kind === "started") {
      expect(answer.instanceId).toBe(`job:${activeGen}`);
      expect(next.active?.phase).toBe("starting");
      expect(next.active?.leaseUntil).toBe(now + config.leaseMs);
    }
    if (phase === "startingExpired") {
      expect(next.lastFinished).toMatchObject({ generation: 1, outcome: "abandoned" });
      expect(next.counters.leaseExpired).toBe(1);
    }
    if (policy === "replace" && (phase === "starting" || phase === "running")) {
      expect(answer).toMatchObject({ replaced: { generation: 1, instanceId: "job:1" } });
      expect(next.lastFinished).toMatchObject({ generation: 1, outcome: "replaced" });
      expect(next.active?.replaces).toEqual({ generation: 1, instanceId: "job:1" });
    }
  });

  test("a request id that got its run gets it again and changes nothing; a rejection is not recorded", () => {
    const { state, now } = inPhase("running");
    const again = tryStart(state, ask("r1", "replace"), now, config);
    expect(again.answer).toEqual({ kind: "started", generation: 1, instanceId: "job:1" });
    expect(again.state).toBe(state);
    const rejected = tryStart(state, ask("r2", "reject"), now, config);
    expect(rejected.state.requests).toEqual(state.requests);
    // A retry of the rejected request is decided afresh: on an idle job it starts.
    const idle = complete(rejected.state, { generation: 1, outcome: "completed" }, now, config).state;
    expect(tryStart(idle, ask("r2", "reject"), now, config).answer).toMatchObject({
      kind: "started",
      generation: 2,
    });
  });

  test("compare-and-set: a request that expects an older seq changes nothing but the outdated count", () => {
    const { state, now } = inPhase("running");
    const outdated = tryStart(state, { ...ask("r2", "replace"), expectSeq: state.seq - 1 }, now, config);
    expect(outdated.answer).toEqual({ kind: "outdated", seq: state.seq });
    expect(outdated.state).toEqual({ ...state, counters: { ...state.counters, outdated: 1 } });
    const current = tryStart(state, { ...ask("r2", "replace"), expectSeq: state.seq }, now, config);
    expect(current.answer).toMatchObject({ kind: "started", generation: 2 });
  });

  test("the caller whose ticket the accepted run carries is told to start it; nobody else is", () => {
    const { state, now } = inPhase("idle");
    const mine = tryStart(state, { ...ask("r1", "reject"), starter: "t1" }, now, config);
    expect(mine.answer).toEqual({
      kind: "started",
      generation: 1,
      instanceId: "job:1",
      mustStart: { job: "job", generation: 1, instanceId: "job:1", orchestrator: "orch", requestId: "r1" },
    });
    // Another caller retrying r1 is told the run waits for its starter until the lease ends...
    expect(tryStart(mine.state, { ...ask("r1", "reject"), starter: "t2" }, now, config).answer).toEqual({
      kind: "started",
      generation: 1,
      instanceId: "job:1",
      awaitingStartUntil: now + config.leaseMs,
    });
    // ...and once the lease ended unconfirmed, the request is decided afresh (the abandoned run never ran).
    const late = tryStart(
      mine.state,
      { ...ask("r1", "reject"), starter: "t2" },
      now + config.leaseMs,
      config,
    );
    expect(late.answer).toMatchObject({ kind: "started", generation: 2, mustStart: { generation: 2 } });
    const confirmed = confirm(mine.state, { generation: 1, instanceId: "job:1" }, now).state;
    expect(confirmed.active?.starter).toBeUndefined();
    expect(tryStart(confirmed, { ...ask("r1", "reject"), starter: "t2" }, now, config).answer).toEqual({
      kind: "started",
      generation: 1,
      instanceId: "job:1",
    });
    expect(
      tryStart(confirmed, { ...ask("r1", "reject"), starter: "t1" }, now, config).answer,
    ).not.toHaveProperty("mustStart");
  });

  test("replace with replaceUpTo: a run accepted after the request arrived is not replaced (conflict)", () => {
    const { state, now } = inPhase("running");
    const conflict = tryStart(state, { ...ask("r2", "replace"), replaceUpTo: 0 }, now, config);
    expect(conflict.answer).toMatchObject({
      kind: "rejected",
      reason: "conflict",
      holder: { generation: 1 },
    });
    expect(conflict.state.active).toEqual(state.active);
    const replace = tryStart(state, { ...ask("r2", "replace"), replaceUpTo: 1 }, now, config);
    expect(replace.answer).toMatchObject({ kind: "started", generation: 2, replaced: { generation: 1 } });
  });

  test("a direct caller's rejection is counted by the entity; a compare-and-set caller's is noted by the starter", () => {
    const { state, now } = inPhase("running");
    expect(tryStart(state, ask("r2", "reject"), now, config).state.counters.rejected).toBe(1);
    const cas = tryStart(state, { ...ask("r2", "reject"), expectSeq: state.seq }, now, config);
    expect(cas.state.counters.rejected).toBe(0);
    expect(noteAnswer(cas.state, { answer: "rejected" }).state.counters.rejected).toBe(1);
  });

  test("a lease that expires forgets the abandoned request, so its retry is decided afresh", () => {
    const { state, now } = inPhase("startingExpired");
    const takeover = tryStart(state, ask("r2", "reject"), now, config);
    expect(takeover.state.requests.map((r) => r[0])).toEqual(["r2"]);
    const late = complete(takeover.state, { generation: 2, outcome: "completed" }, now, config).state;
    expect(tryStart(late, ask("r1", "reject"), now, config).answer).toMatchObject({
      kind: "started",
      generation: 3,
    });
  });

  test("a full queue rejects with reason queueFull", () => {
    const { state, now } = inPhase("running");
    const queued = tryStart(state, ask("q1", "queue"), now, config);
    const full = tryStart(queued.state, ask("q2", "queue"), now, config);
    expect(full.answer).toMatchObject({ kind: "rejected", reason: "queueFull", holder: { generation: 1 } });
    expect(full.state.queue.map((q) => q.requestId)).toEqual(["q1"]);
    const retried = tryStart(full.state, ask("q2", "queue"), now, config);
    expect(retried.answer).toMatchObject({ kind: "rejected", reason: "queueFull" });
    expect(retried.state.queue).toEqual(full.state.queue);
  });

  test("a fixed instance id (seed route) is used for every generation", () => {
    const s = tryStart(
      initialState("x"),
      { requestId: "a", orchestrator: "o", policy: "reject", instanceId: "x" },
      T0,
      config,
    );
    expect(s.answer).toEqual({ kind: "started", generation: 1, instanceId: "x" });
  });
});

describe("confirm in every phase", () => {
  // [phase, generation, cycle, answer]; the running holder confirmed cycle 0
  const cases: [Phase, number, number, string][] = [
    ["idle", 1, 0, "superseded"],
    ["starting", 1, 0, "holder"],
    ["starting", 2, 0, "superseded"],
    ["startingExpired", 1, 0, "holder"],
    ["running", 1, 1, "holder"], // the next execution after continueAsNew keeps the lock
    ["running", 1, 0, "superseded"], // a second execution of the same cycle: a duplicate start
    ["running", 0, 0, "superseded"],
  ];
  test.each(cases)("%s: confirm generation %s cycle %s -> %s", (phase, generation, cycle, status) => {
    const { state, now } = inPhase(phase);
    const { state: next, answer } = confirm(
      state,
      { generation, instanceId: `job:${generation}`, cycle },
      now,
    );
    expect(answer.status).toBe(status);
    if (status === "holder") {
      expect(next.active).toMatchObject({ generation: 1, phase: "running", cycle });
    } else {
      expect(next.active).toEqual(state.active);
      expect(next.counters.superseded).toBe(1);
    }
  });

  test("a late confirm after a takeover is superseded and names the new holder", () => {
    const { state, now } = inPhase("startingExpired");
    const takeover = tryStart(state, ask("r2", "reject"), now, config);
    const late = confirm(takeover.state, { generation: 1, instanceId: "job:1" }, now + 1);
    expect(late.answer).toEqual({ status: "superseded", activeGeneration: 2 });
    expect(late.state.active).toEqual(takeover.state.active);
  });

  test("the new holder after a replace is told which run to terminate", () => {
    const { state, now } = inPhase("running");
    const replaced = tryStart(state, ask("r2", "replace"), now, config);
    const c = confirm(replaced.state, { generation: 2, instanceId: "job:2" }, now + 1);
    expect(c.answer).toEqual({ status: "holder", terminate: [{ generation: 1, instanceId: "job:1" }] });
    expect(c.state.active?.replaces).toBeUndefined();
    expect(c.state.toTerminate).toBeUndefined();
  });

  test("a replacement whose lease expires hands the termination of the replaced run to the next holder", () => {
    const { state, now } = inPhase("running");
    const replaced = tryStart(state, ask("r2", "replace"), now, config);
    const later = now + config.leaseMs + 1;
    const takeover = tryStart(replaced.state, ask("r3", "reject"), later, config);
    expect(takeover.answer).toEqual({ kind: "started", generation: 3, instanceId: "job:3" });
    const c = confirm(takeover.state, { generation: 3, instanceId: "job:3" }, later);
    expect(c.answer).toEqual({ status: "holder", terminate: [{ generation: 1, instanceId: "job:1" }] });
  });

  test("replacing a replacement before it confirms still terminates the run that was executing", () => {
    const { state, now } = inPhase("running");
    const second = tryStart(state, ask("r2", "replace"), now, config);
    const third = tryStart(second.state, ask("r3", "replace"), now, config);
    expect(third.answer).toMatchObject({ kind: "started", generation: 3, replaced: { generation: 2 } });
    expect(third.state.toTerminate).toEqual([{ generation: 1, instanceId: "job:1" }]);
    const c = confirm(third.state, { generation: 3, instanceId: "job:3" }, now + 1);
    expect(c.answer).toEqual({ status: "holder", terminate: [{ generation: 1, instanceId: "job:1" }] });
  });
});

describe("complete, reconcile and release in every phase", () => {
  const phases: Phase[] = ["idle", "starting", "startingExpired", "running"];

  test.each(phases)("%s: complete for the active generation releases, a stale one is ignored", (phase) => {
    const { state, now } = inPhase(phase);
    const mine = complete(state, { generation: 1, outcome: "completed", summary: "ok" }, now, config);
    const stale = complete(state, { generation: 7, outcome: "failed" }, now, config);
    if (phase === "idle") {
      expect(mine.answer).toEqual({ released: false, reason: "noHolder" });
    } else {
      expect(mine.answer).toEqual({ released: true, run: { generation: 1, instanceId: "job:1" } });
      expect(mine.state.active).toBeUndefined();
      expect(mine.state.lastFinished).toMatchObject({ generation: 1, outcome: "completed", summary: "ok" });
      expect(stale.answer).toEqual({ released: false, reason: "stale" });
    }
    expect(stale.state.active).toEqual(state.active);
    expect(stale.state.counters.stale).toBe(1);
  });

  test.each(phases)("%s: reconcile", (phase) => {
    const { state, now } = inPhase(phase);
    const r = reconcile(state, { generation: 1, observedStatus: "Terminated" }, now, config);
    const expected = {
      idle: { released: false, reason: "noHolder" },
      // an unconfirmed run within its lease is left alone: only its lease decides
      starting: { released: false, reason: "starting" },
      startingExpired: { released: true, run: { generation: 1, instanceId: "job:1" } },
      running: { released: true, run: { generation: 1, instanceId: "job:1" } },
    }[phase];
    expect(r.answer).toEqual(expected);
    if (expected.released)
      expect(r.state.lastFinished).toMatchObject({ generation: 1, outcome: "terminated" });
    else expect(r.state.active).toEqual(state.active);
  });

  test.each(phases)("%s: release", (phase) => {
    const { state, now } = inPhase(phase);
    const r = forceRelease(state, { reason: "ops" }, now, config);
    if (phase === "idle") expect(r.answer).toEqual({ released: false, reason: "noHolder" });
    else {
      expect(r.answer).toEqual({ released: true, run: { generation: 1, instanceId: "job:1" } });
      expect(r.state.lastFinished).toMatchObject({ outcome: "released", summary: "ops" });
      expect(r.state.counters.released).toBe(1);
    }
  });

  test("releasing promotes the queued request to a new starting run", () => {
    const { state, now } = inPhase("running");
    const q = tryStart(
      state,
      { requestId: "q1", orchestrator: "other", policy: "queue", input: { a: 1 } },
      now,
      config,
    );
    const done = complete(q.state, { generation: 1, outcome: "completed" }, now + 1, config);
    expect(done.answer).toEqual({
      released: true,
      run: { generation: 1, instanceId: "job:1" },
      promoted: {
        job: "job",
        generation: 2,
        instanceId: "job:2",
        orchestrator: "other",
        requestId: "q1",
        input: { a: 1 },
      },
    });
    expect(done.state.active).toMatchObject({
      generation: 2,
      phase: "starting",
      promoted: true,
      pendingInput: { a: 1 },
    });
    expect(done.state.queue).toEqual([]);
    // the queued request's record now names its own run
    const retry = tryStart(
      done.state,
      { requestId: "q1", orchestrator: "other", policy: "queue" },
      now + 2,
      config,
    );
    // the promoted run waits for the releaser's follow-up to start it
    expect(retry.answer).toEqual({
      kind: "started",
      generation: 2,
      instanceId: "job:2",
      awaitingStartUntil: done.state.active?.leaseUntil,
    });
  });

  test("a run displaced before it confirmed is still started by its ticket holder; a retry waits for it", () => {
    const { state, now } = inPhase("idle");
    const first = tryStart(state, { ...ask("r1", "reject"), starter: "t1" }, now, config);
    const replaced = tryStart(first.state, { ...ask("r2", "replace"), starter: "t2" }, now + 1, config);
    expect(replaced.answer).toMatchObject({ kind: "started", generation: 2, mustStart: { generation: 2 } });
    expect(replaced.state.displaced).toEqual([
      {
        generation: 1,
        instanceId: "job:1",
        orchestrator: "orch",
        requestId: "r1",
        starter: "t1",
        leaseUntil: now + config.leaseMs,
      },
    ]);
    // The first starter still learns it must start generation 1 (it is superseded when it confirms).
    expect(
      tryStart(replaced.state, { ...ask("r1", "reject"), starter: "t1" }, now + 2, config).answer,
    ).toMatchObject({ kind: "started", generation: 1, mustStart: { generation: 1, instanceId: "job:1" } });
    // Someone else retrying r1 waits until then.
    expect(
      tryStart(replaced.state, { ...ask("r1", "reject"), starter: "t9" }, now + 2, config).answer,
    ).toEqual({
      kind: "started",
      generation: 1,
      instanceId: "job:1",
      awaitingStartUntil: now + config.leaseMs,
    });
    const superseded = confirm(replaced.state, { generation: 1, instanceId: "job:1" }, now + 3);
    expect(superseded.answer).toEqual({ status: "superseded", activeGeneration: 2 });
    expect(superseded.state.displaced).toBeUndefined();
    expect(
      tryStart(superseded.state, { ...ask("r1", "reject"), starter: "t9" }, now + 4, config).answer,
    ).toEqual({
      kind: "started",
      generation: 1,
      instanceId: "job:1",
    });
  });

  test("a release names the run it saw: a later run is left alone, and the applied release is recorded", () => {
    const { state, now } = inPhase("running");
    const stale = forceRelease(state, { generation: 7, requestId: "rel" }, now, config);
    expect(stale.answer).toEqual({ released: false, reason: "stale" });
    expect(stale.state.active).toEqual(state.active);
    const applied = forceRelease(state, { generation: 1, requestId: "rel", reason: "ops" }, now, config);
    expect(applied.answer).toEqual({ released: true, run: { generation: 1, instanceId: "job:1" } });
    expect(applied.state.requests.at(-1)).toEqual(["rel", "l", 1]);
    // The same release again (its follow-up after its signal): the same answer, nothing changes.
    const again = forceRelease(applied.state, { generation: 1, requestId: "rel" }, now, config);
    expect(again).toEqual({ state: applied.state, answer: applied.answer });
  });

  test("the releasing caller's ticket goes to the run its release promotes", () => {
    const { state, now } = inPhase("running");
    const q = tryStart(state, { ...ask("q1", "queue"), input: { a: 1 } }, now, config);
    const r = forceRelease(q.state, { generation: 1, requestId: "rel", starter: "admin" }, now, config);
    expect(r.state.active).toMatchObject({ generation: 2, starter: "admin", promoted: true });
    expect(r.state.seq).toBe(q.state.seq + 1); // a promotion is a decision too
    expect(
      forceRelease(r.state, { generation: 1, requestId: "rel", starter: "admin" }, now, config).answer,
    ).toEqual({
      released: true,
      run: { generation: 1, instanceId: "job:1" },
      promoted: {
        job: "job",
        generation: 2,
        instanceId: "job:2",
        orchestrator: "orch",
        requestId: "q1",
        input: { a: 1 },
      },
    });
  });
});
test("applyOperation dispatches by name and rejects unknown operations", () => {
  const s = initialState("j");
  expect(
    applyOperation(s, "tryStart", { requestId: "a", orchestrator: "o", policy: "reject" }, T0, config).answer,
  ).toMatchObject({
    kind: "started",
  });
  expect(applyOperation(s, "release", undefined, T0, config).answer).toEqual({
    released: false,
    reason: "noHolder",
  });
  expect(() => applyOperation(s, "explode", {}, T0, config)).toThrow("Unknown operation 'explode'");
});

test("request records are compact: only runs handed out, with the instance id only when it is fixed", () => {
  const { state, now } = inPhase("running");
  const seeded = tryStart(
    initialState("s"),
    { requestId: "a", orchestrator: "o", policy: "reject", instanceId: "s" },
    now,
    config,
  );
  expect(seeded.state.requests).toEqual([["a", "s", 1, "s"]]);
  expect(JSON.stringify(state.requests)).toBe('[["r1","s",1]]');
});

test.each([
  ["pause", { by: "ops" }, "requestId must be a non-empty string"],
  ["pause", { requestId: "p", reason: 5 }, "reason, when given, must be a string"],
  ["pause", { requestId: "p", expectSeq: 1.5 }, "expectSeq, when given, must be a whole number"],
  ["resume", { requestId: "u", starter: "" }, "starter, when given, must be a non-empty string"],
  ["resume", { requestId: "u", by: 1 }, "by, when given, must be a string"],
  ["tryStart", { orchestrator: "o", policy: "reject" }, "requestId must be a non-empty string"],
  ["tryStart", { requestId: "a", orchestrator: "o", policy: "sometimes" }, "policy must be one of"],
  ["confirm", { generation: "1", instanceId: "x" }, "generation must be a whole number"],
  ["complete", { generation: 1, outcome: "done" }, "outcome must be completed or failed"],
  ["reconcile", { generation: 1, observedStatus: "Gone" }, "observedStatus must be one of"],
  [
    "tryStart",
    { requestId: "a", orchestrator: "o", policy: "reject", expectSeq: -1 },
    "expectSeq, when given",
  ],
  ["noteAnswer", { answer: "maybe" }, "answer must be one of rejected, existing"],
  ["release", { reason: 7 }, "reason, when given, must be a string"],
  ["release", { generation: 1.5 }, "generation, when given, must be a whole number"],
  ["confirm", "nope", "expected a JSON object"],
])("applyOperation refuses a malformed %s input: %j", (operation, input, message) => {
  expect(() => applyOperation(initialState("j"), operation, input, T0, config)).toThrow(message);
});

describe("pause and resume in every phase", () => {
  const phases: Phase[] = ["idle", "starting", "startingExpired", "running"];
  const pauseIn = (phase: Phase) => {
    const { state, now } = inPhase(phase);
    const paused = pause(state, { requestId: "p1", by: "ops", reason: "incident 42" }, now);
    return { before: state, state: paused.state, answer: paused.answer, now };
  };

  test.each(phases.flatMap((phase) => POLICIES.map((policy) => [phase, policy] as const)))(
    "%s, paused: tryStart with %s -> rejected (paused), nothing changes but seq",
    (phase, policy) => {
      const { state, now } = pauseIn(phase);
      const direct = tryStart(state, { ...ask("r2", policy), starter: "t9" }, now, config);
      expect(direct.answer).toEqual({
        kind: "rejected",
        reason: "paused",
        paused: { since: now, by: "ops", reason: "incident 42" },
        ...(phase === "idle"
          ? {}
          : {
              holder: {
                generation: 1,
                instanceId: "job:1",
                orchestrator: "orch",
                phase: phase === "running" ? "running" : "starting",
              },
            }),
      });
      // A direct caller is counted here; even an expired lease is left alone (the job changes nothing).
      expect(direct.state).toEqual({
        ...state,
        seq: state.seq + 1,
        counters: { ...state.counters, rejected: 1 },
      });
      // A starter predicts it on the state it read (compare-and-set) and notes it itself.
      const cas = tryStart(state, { ...ask("r2", policy), expectSeq: state.seq }, now, config);
      expect(cas.state).toEqual({ ...state, seq: state.seq + 1 });
    },
  );

  test.each(phases)(
    "%s: pause, then resume restores the job as it was (seq, events and records aside)",
    (phase) => {
      const { before, state, answer, now } = pauseIn(phase);
      expect(answer).toEqual({ kind: "paused", pause: { since: now, by: "ops", reason: "incident 42" } });
      expect(state.seq).toBe(before.seq + 1); // a pause changes what tryStart decides
      expect(state.events.at(-1)).toEqual([now, "paused", before.generation, "ops: incident 42"]);
      expect(state.requests.at(-1)).toEqual(["p1", "p", before.generation]);
      const resumed = resume(state, { requestId: "u1", by: "ops", starter: "t1" }, now + 5, config);
      expect(resumed.answer).toEqual({ kind: "resumed" });
      const { seq, events, requests, ...job } = resumed.state;
      const { seq: seq0, events: events0, requests: requests0, ...job0 } = before;
      expect(job).toEqual(job0);
      expect([seq, events.slice(0, -2), requests.slice(0, -2)]).toEqual([seq0 + 2, events0, requests0]);
      expect(events.at(-1)).toEqual([now + 5, "resumed", before.generation, "ops"]);
      expect(requests.at(-1)).toEqual(["u1", "u", before.generation]);
    },
  );

  test("pause is a compare-and-set recorded by request id; a second pause changes nothing", () => {
    const { state, now } = inPhase("running");
    const outdated = pause(state, { requestId: "p1", by: "ops", expectSeq: state.seq - 1 }, now);
    expect(outdated.answer).toEqual({ kind: "outdated", seq: state.seq });
    expect(outdated.state).toEqual({ ...state, counters: { ...state.counters, outdated: 1 } });
    const paused = pause(state, { requestId: "p1", by: "ops", expectSeq: state.seq }, now).state;
    expect(paused.paused).toEqual({ since: now, by: "ops" });
    // The same request again (its follow-up after its signal): the same answer, nothing changes.
    const again = pause(paused, { requestId: "p1", by: "ops" }, now + 1);
    expect(again).toEqual({ state: paused, answer: { kind: "paused", pause: { since: now, by: "ops" } } });
    const other = pause(paused, { requestId: "p2", by: "eve", reason: "later" }, now + 1);
    expect(other).toEqual({
      state: paused,
      answer: { kind: "alreadyPaused", pause: { since: now, by: "ops" } },
    });
    // After a resume, the first request's retry still answers "paused" and does not pause the job again.
    const resumed = resume(paused, { requestId: "u1" }, now + 2, config).state;
    expect(pause(resumed, { requestId: "p1", by: "ops" }, now + 3)).toEqual({
      state: resumed,
      answer: { kind: "paused" },
    });
  });

  test("pause bounds who and why; resume of a job that is not paused changes nothing", () => {
    const { state, now } = inPhase("idle");
    const long = pause(state, { requestId: "p1", by: "b".repeat(100), reason: "r".repeat(500) }, now).state;
    expect(long.paused?.by).toHaveLength(64);
    expect(long.paused?.reason).toHaveLength(200);
    expect(long.events.at(-1)?.[3]).toHaveLength(40);
    expect(resume(state, { requestId: "u1" }, now, config)).toEqual({ state, answer: { kind: "notPaused" } });
    const outdated = resume(long, { requestId: "u1", expectSeq: 0 }, now, config);
    expect(outdated.answer).toEqual({ kind: "outdated", seq: long.seq });
    expect(outdated.state.paused).toEqual(long.paused);
  });

  test("while paused the running run finishes normally, its queue waits, and resume promotes the head with the resumer's ticket", () => {
    const { state, now } = inPhase("running");
    const queued = tryStart(state, { ...ask("q1", "queue"), input: { a: 1 } }, now, config).state;
    const paused = pause(queued, { requestId: "p1", by: "ops" }, now).state;
    // A retry of the queued request keeps its place.
    expect(tryStart(paused, ask("q1", "queue"), now, config).answer).toMatchObject({
      kind: "queued",
      position: 1,
    });
    // The holder's next cycle confirms, then it completes: released, nothing promoted.
    const cycled = confirm(paused, { generation: 1, instanceId: "job:1", cycle: 1 }, now);
    expect(cycled.answer).toEqual({ status: "holder" });
    const done = complete(
      cycled.state,
      { generation: 1, outcome: "completed", starter: "job:1" },
      now + 1,
      config,
    );
    expect(done.answer).toEqual({ released: true, run: { generation: 1, instanceId: "job:1" } });
    expect(done.state.active).toBeUndefined();
    expect(done.state.queue.map((q) => q.requestId)).toEqual(["q1"]);
    expect(tryStart(done.state, ask("r9", "reject"), now + 2, config).answer).toMatchObject({
      kind: "rejected",
      reason: "paused",
    });
    const promoted = {
      job: "job",
      generation: 2,
      instanceId: "job:2",
      orchestrator: "orch",
      requestId: "q1",
      input: { a: 1 },
    };
    const resumed = resume(done.state, { requestId: "u1", by: "ops", starter: "admin" }, now + 3, config);
    expect(resumed.answer).toEqual({ kind: "resumed", promoted });
    expect(resumed.state.active).toMatchObject({ generation: 2, starter: "admin", promoted: true });
    expect(resumed.state.seq).toBe(done.state.seq + 2); // the resume and the promotion
    // The same resume again: the same answer, and the same run to start for the same ticket only.
    expect(resume(resumed.state, { requestId: "u1", starter: "admin" }, now + 4, config)).toEqual({
      state: resumed.state,
      answer: { kind: "resumed", promoted },
    });
    expect(resume(resumed.state, { requestId: "u1", starter: "other" }, now + 4, config).answer).toEqual({
      kind: "resumed",
    });
  });

  test("a release or a reconcile while paused frees the job without promoting", () => {
    const { state, now } = inPhase("running");
    const queued = tryStart(state, ask("q1", "queue"), now, config).state;
    const paused = pause(queued, { requestId: "p1" }, now).state;
    const released = forceRelease(paused, { starter: "admin" }, now, config);
    expect(released.answer).toEqual({ released: true, run: { generation: 1, instanceId: "job:1" } });
    const reconciled = reconcile(paused, { generation: 1, observedStatus: "Terminated" }, now, config);
    expect(reconciled.answer).toEqual({ released: true, run: { generation: 1, instanceId: "job:1" } });
    for (const s of [released.state, reconciled.state]) {
      expect(s.active).toBeUndefined();
      expect(s.queue).toHaveLength(1);
    }
  });
});

describe("run history", () => {
  test("every way a run ends is recorded compactly: summaries only for runs that did not complete", () => {
    const running = inPhase("running");
    const now = running.now;
    let state = complete(
      running.state,
      { generation: 1, outcome: "completed", summary: "rows: 3" },
      now,
      config,
    ).state;
    state = tryStart(state, ask("r2", "reject"), now, config).state; // generation 2, starting
    state = confirm(state, { generation: 2, instanceId: "job:2" }, now).state;
    state = complete(
      state,
      { generation: 2, outcome: "failed", summary: "Error: fetch failed" },
      now + 7,
      config,
    ).state;
    state = tryStart(state, ask("r3", "reject"), now, config).state;
    state = tryStart(state, ask("r4", "replace"), now, config).state; // replaces 3
    state = forceRelease(state, { reason: "stuck" }, now + 9, config).state; // releases 4
    state = tryStart(state, ask("r5", "reject"), now, config).state;
    state = tryStart(state, ask("r6", "reject"), now + config.leaseMs, config).state; // 5 abandoned
    state = confirm(state, { generation: 6, instanceId: "job:6" }, now + config.leaseMs).state;
    state = reconcile(state, { generation: 6, observedStatus: "Purged" }, now + config.leaseMs, config).state;
    const seeded = tryStart(
      initialState("s"),
      { requestId: "a", orchestrator: "o", policy: "reject", instanceId: "fixed" },
      now,
      config,
    ).state;
    const seededDone = complete(seeded, { generation: 1, outcome: "completed" }, now + 1, config).state;
    expect(state.runs).toEqual([
      [1, "completed", T0, now - T0, "orch"],
      [2, "failed", now, 7, "orch", "Error: fetch failed"],
      [3, "replaced", now, 0, "orch", "replaced by request r4"],
      [4, "released", now, 9, "orch", "stuck"],
      [5, "abandoned", now, config.leaseMs, "orch", "lease expired before the orchestration …"],
      [6, "purged", now + config.leaseMs, 0, "orch", "observed Purged"],
    ]);
    expect(seededDone.runs).toEqual([[1, "completed", now, 1, "o", "", "fixed"]]);
  });

  test(`the history keeps the last ${MAX_RUNS} runs`, () => {
    let state = initialState("job");
    for (let g = 1; g <= MAX_RUNS + 5; g++) {
      state = tryStart(state, ask(`r${g}`, "reject"), T0 + g, config).state;
      state = complete(state, { generation: g, outcome: "completed" }, T0 + g, config).state;
    }
    expect(state.runs?.map((r) => r[0])).toEqual(Array.from({ length: MAX_RUNS }, (_, i) => i + 6));
  });

  test("a state written before run history existed gets one on its next finished run", () => {
    const { state, now } = inPhase("running");
    const old: JobState = { ...state };
    delete old.runs;
    const done = complete(old, { generation: 1, outcome: "completed" }, now, config).state;
    expect(done.runs).toEqual([[1, "completed", T0, now - T0, "orch"]]);
  });
});
