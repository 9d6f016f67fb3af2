/** Every operation in every phase of the coordinator, as a table of exact outcomes. */
import { initialState } from "../../core/boundedState";
import {
  applyOperation,
  complete,
  confirm,
  forceRelease,
  noteAnswer,
  reconcile,
  tryStart,
} from "../../core/coordinator";
import type { CoordinatorConfig, JobState, Policy, TryStartInput } from "../../core/types";

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
    expect(tryStart(mine.state, { ...ask("r1", "reject"), starter: "t2" }, now, config).answer).toEqual({
      kind: "started",
      generation: 1,
      instanceId: "job:1",
    });
    const confirmed = confirm(mine.state, { generation: 1, instanceId: "job:1" }, now).state;
    expect(confirmed.active?.starter).toBeUndefined();
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
    expect(retry.answer).toEqual({ kind: "started", generation: 2, instanceId: "job:2" });
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
