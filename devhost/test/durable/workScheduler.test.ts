/**
 * The engine's fair scheduler: FIFO, started at once (no timer), in turns bounded by item count and by time
 * (including the time an item spends in its microtasks), with a macrotask between turns; exact idleness.
 */
import { WorkScheduler, type TurnLimits } from "../../src/durable/workScheduler";
import { WorkTracker } from "../../src/durable/workTracker";

/**
 * A macrotask that re-arms itself and records "tick" while `running()` (at most 100 times, should a test
 * fail): what the event loop serves between turns.
 */
function ticker(log: string[], running: () => boolean): void {
  let ticks = 0;
  setImmediate(function tick() {
    log.push("tick");
    if (running() && ++ticks < 100) setImmediate(tick);
  });
}

function setup(limits: TurnLimits) {
  const work = new WorkTracker();
  const errors: unknown[] = [];
  const scheduler = new WorkScheduler(work, (err) => errors.push(err), limits);
  return { work, errors, scheduler };
}

test("items run in FIFO order, at most maxItems per turn, with a macrotask between turns", async () => {
  const { work, scheduler } = setup({ maxItems: 2, minMs: 1_000, maxMs: 1_000 });
  const log: string[] = [];
  for (let i = 0; i < 5; i++) scheduler.enqueue(() => void log.push(`item ${i}`));
  expect(work.isIdle()).toBe(false);
  ticker(log, () => !work.isIdle());
  await work.whenIdle();
  expect(log).toEqual(["item 0", "item 1", "tick", "item 2", "item 3", "tick", "item 4", "tick"]);
});

test("a turn starts no more items once minMs have passed, counting the time items spend in microtasks", async () => {
  let now = 0;
  const { work, scheduler } = setup({ maxItems: 100, minMs: 10, maxMs: 10, now: () => now });
  const log: string[] = [];
  for (let i = 0; i < 4; i++) {
    scheduler.enqueue(async () => {
      await Promise.resolve();
      now += 6; // "busy" after the first await, where an invoked function does its work
      log.push(`item ${i}`);
    });
  }
  ticker(log, () => !work.isIdle());
  await work.whenIdle();
  // Item 0 starts the turn at 0, item 1 starts at 6 (< 10); at 12 the turn is over.
  expect(log).toEqual(["item 0", "item 1", "tick", "item 2", "item 3", "tick"]);
});

test.each([
  { ioMs: 30, expectedTurns: [2, 5, 1], items: 8 },
  { ioMs: 100, expectedTurns: [2, 9, 1], items: 12 },
])(
  "a turn that follows one which left work queued may take as long as the loop took since ($ioMs ms, at most maxMs)",
  async ({ ioMs, expectedTurns, items }) => {
    let now = 0;
    const { work, scheduler } = setup({ maxItems: 100, minMs: 10, maxMs: 50, now: () => now });
    const perTurn: number[] = [0];
    for (let i = 0; i < items; i++) {
      scheduler.enqueue(async () => {
        await Promise.resolve();
        now += 6;
        perTurn[perTurn.length - 1]++;
      });
    }
    // Between turns the loop "serves requests" for ioMs.
    setImmediate(function io() {
      now += ioMs;
      perTurn.push(0);
      if (!work.isIdle() && perTurn.length < 100) setImmediate(io);
    });
    await work.whenIdle();
    // 2 items in the first turn (budget 10 ms); then ioMs (capped at 50) per turn while work waits.
    expect(perTurn.filter((n) => n > 0)).toEqual(expectedTurns);
  },
);

test("an item queued while a turn runs goes to the next turn; items queued before it begins join it", async () => {
  const { work, scheduler } = setup({ maxItems: 10, minMs: 1_000, maxMs: 1_000 });
  const log: string[] = [];
  scheduler.enqueue(() => {
    log.push("a");
    scheduler.enqueue(() => void log.push("c"));
  });
  scheduler.enqueue(() => void log.push("b"));
  ticker(log, () => !work.isIdle());
  await work.whenIdle();
  expect(log).toEqual(["a", "b", "tick", "c", "tick"]);
});

test("an idle scheduler arms nothing, and whenIdle waits for the items' own promises", async () => {
  const { work, scheduler } = setup({ maxItems: 10, minMs: 1_000, maxMs: 1_000 });
  const immediates = () => process.getActiveResourcesInfo().filter((r) => r === "Immediate").length;
  const before = immediates();
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let finished = false;
  scheduler.enqueue(async () => {
    await held;
    finished = true;
  });
  expect(immediates()).toBe(before + 1);
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(scheduler.queued).toBe(0);
  expect(work.isIdle()).toBe(false);
  expect(immediates()).toBe(before);
  release();
  await work.whenIdle();
  expect(finished).toBe(true);
  expect(immediates()).toBe(before);
});

test("stop drops queued items and later ones; a running item still finishes", async () => {
  const { work, scheduler } = setup({ maxItems: 1, minMs: 1_000, maxMs: 1_000 });
  const log: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  scheduler.enqueue(async () => {
    log.push("running");
    await held;
    log.push("finished");
  });
  scheduler.enqueue(() => void log.push("queued"));
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(log).toEqual(["running"]);
  scheduler.stop();
  scheduler.enqueue(() => void log.push("late"));
  expect(scheduler.queued).toBe(0);
  expect(work.isIdle()).toBe(false);
  release();
  await work.whenIdle();
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(log).toEqual(["running", "finished"]);
});

test("an item that throws or rejects is reported and the queue goes on", async () => {
  const { work, errors, scheduler } = setup({ maxItems: 10, minMs: 1_000, maxMs: 1_000 });
  const log: string[] = [];
  scheduler.enqueue(() => {
    throw new Error("sync");
  });
  scheduler.enqueue(() => Promise.reject(new Error("async")));
  scheduler.enqueue(() => void log.push("after"));
  await work.whenIdle();
  expect(errors.map((e) => (e as Error).message)).toEqual(["sync", "async"]);
  expect(log).toEqual(["after"]);
});
