/**
 * The message bus (devhost/durable/messageBus.ts) on an in-memory store and a hand-driven clock: steps are
 * transactions that wake their receivers only once committed, messages are deduplicated by id, timers are
 * due on time, and latency delays every other message while keeping each route in order.
 */
import { DelaySource } from "../../src/durable/latency";
import { MemoryStore } from "../../src/durable/memoryStore";
import { MessageBus, type SendOptions } from "../../src/durable/messageBus";
import type { LatencyOptions } from "../../src/contracts";
import { WorkTracker } from "../../src/durable/workTracker";
import { ManualClock } from "../helpers/manualClock";

const isSorted = (xs: number[]): boolean => xs.every((x, i) => i === 0 || xs[i - 1] <= x);
const draws = (latency: LatencyOptions, n: number): number[] => {
  const source = new DelaySource(latency);
  return Array.from({ length: n }, () => source.next());
};

/** A bus whose receivers record each message they take (its label and when), then consume it. */
function setup(latency?: LatencyOptions, store = new MemoryStore()) {
  const clock = new ManualClock();
  const work = new WorkTracker();
  const errors: unknown[] = [];
  const bus = new MessageBus(store, clock, work, latency, (e) => errors.push(e));
  const delivered: { label: string; at: number }[] = [];
  bus.route((target) => {
    for (const m of bus.due(target)) {
      if (m.body.kind !== "control") continue;
      delivered.push({ label: m.body.reason, at: clock.now() });
      bus.step(() => bus.consume(m.id));
    }
  });
  const send = (to: string, label: string, options: SendOptions = {}) =>
    bus.send(`e:${to}`, { kind: "control", control: "terminate", reason: label }, options);
  return { clock, work, errors, bus, store, delivered, send };
}

test("latency off: a message is delivered when the step that sent it commits, not before", () => {
  const { delivered, send, bus, clock } = setup();
  bus.step(() => {
    send("x", "a");
    send("x", "b");
    expect(delivered).toEqual([]); // still inside the step
  });
  expect(delivered).toEqual([
    { label: "a", at: clock.now() },
    { label: "b", at: clock.now() },
  ]);
  expect(clock.pending()).toBe(0); // no timers without latency
});

test("a step that throws stores and wakes nothing", () => {
  const { delivered, send, bus, store } = setup();
  expect(() =>
    bus.step(() => {
      send("x", "lost");
      throw new Error("crash in the step");
    }),
  ).toThrow("crash in the step");
  expect(store.allMessages()).toEqual([]);
  expect(delivered).toEqual([]);
});

test("a message id already stored is not stored again (redelivery is deduplicated)", () => {
  const { store, bus } = setup();
  bus.route(() => undefined); // nobody takes them
  const body = { kind: "control" as const, control: "terminate" as const, reason: "once" };
  expect(bus.send("i:a", body, { id: "result:1" })).toBe(true);
  expect(bus.send("i:a", body, { id: "result:1" })).toBe(false);
  expect(store.allMessages().map((m) => m.id)).toEqual(["result:1"]);
});

test("a timer is due at its time, is not delayed by latency and is not work in flight", () => {
  const { delivered, send, work, clock } = setup({ minMs: 500, maxMs: 500 });
  const t0 = clock.now();
  send("x", "timer", { timerAt: t0 + 100 });
  expect(work.isIdle()).toBe(true);
  clock.advance(100);
  expect(delivered).toEqual([{ label: "timer", at: t0 + 100 }]);
});

describe("latency", () => {
  test("one route: in send order, each at max(send time + its delay, the previous delivery)", () => {
    const latency = { minMs: 0, maxMs: 10_000, seed: 11 };
    const { clock, work, delivered, send } = setup(latency);
    const t0 = clock.now();
    const delays = draws(latency, 30);
    expect(isSorted(delays)).toBe(false); // delays alone would reorder these messages
    for (let i = 0; i < 30; i++) send("e1", `m${i}`, { from: "orch" });
    expect(delivered).toEqual([]);
    expect(work.isIdle()).toBe(false); // delayed messages are work in flight

    clock.advance(10_000);
    let last = -Infinity;
    const expected = delays.map((d, i) => ({ label: `m${i}`, at: (last = Math.max(t0 + d, last)) }));
    expect(delivered).toEqual(expected);
    expect(work.isIdle()).toBe(true);
    expect(clock.pending()).toBe(0);
  });

  test("a later send on a route waits for the route's earlier, slower message", () => {
    const latency = { minMs: 0, maxMs: 1000, seed: 1 };
    const { clock, delivered, send } = setup(latency);
    const [d0, d1] = draws(latency, 2);
    expect(1 + d1).toBeLessThan(d0); // the second message alone would arrive first
    const t0 = clock.now();
    send("b", "first", { from: "a" });
    clock.advance(1);
    send("b", "second", { from: "a" });
    clock.advance(2000);
    expect(delivered).toEqual([
      { label: "first", at: t0 + d0 },
      { label: "second", at: Math.max(t0 + 1 + d1, t0 + d0) },
    ]);
  });

  test("unordered messages and different routes are delivered by their own delays", () => {
    const latency = { minMs: 0, maxMs: 10_000, seed: 11 };
    const { clock, delivered, send } = setup(latency);
    const t0 = clock.now();
    const delays = draws(latency, 30);
    // Clients (no sender), and one message per sender: no order between any of them.
    for (let i = 0; i < 30; i++) send("e1", `m${i}`, i % 2 === 0 ? {} : { from: `orch${i}` });
    clock.advance(10_000);
    const byDelay = delays
      .map((d, i) => ({ label: `m${i}`, at: t0 + d }))
      .sort((a, b) => a.at - b.at || Number(a.label.slice(1)) - Number(b.label.slice(1)));
    expect(delivered).toEqual(byDelay);
  });

  test("routes are directed pairs: a->b, b->a and a->c each keep their own order", () => {
    const latency = { minMs: 0, maxMs: 5000, seed: 2 };
    const { clock, delivered, send } = setup(latency);
    expect(isSorted(draws(latency, 15).filter((_, i) => i % 3 === 0))).toBe(false); // a->b's own delays
    const routes = [
      { from: "a", to: "b" },
      { from: "b", to: "a" },
      { from: "a", to: "c" },
    ];
    for (let i = 0; i < 15; i++) {
      const r = routes[i % 3];
      send(r.to, `${r.from}${r.to}${i}`, { from: r.from });
    }
    clock.advance(5000);
    for (const r of routes) {
      const labels = delivered.map((d) => d.label).filter((l) => l.startsWith(`${r.from}${r.to}`));
      expect(labels.map((l) => Number(l.slice(2)))).toEqual(
        [0, 1, 2, 3, 4].map((k) => 3 * k + routes.indexOf(r)),
      );
    }
    expect(delivered).toHaveLength(15);
  });

  test("stop ends the work of delayed messages and wakes nobody; the messages stay stored and a new bus resumes them", () => {
    const latency = { minMs: 100, maxMs: 200, seed: 1 };
    const { clock, work, bus, delivered, send, store } = setup(latency);
    send("b", "x", { from: "a" });
    send("b", "y");
    expect(work.isIdle()).toBe(false);
    bus.stop();
    expect(work.isIdle()).toBe(true);
    clock.advance(1000);
    expect(delivered).toEqual([]);
    expect(store.allMessages().map((m) => m.body.kind)).toEqual(["control", "control"]);

    const restarted = setup(latency, store);
    restarted.clock.advance(1000);
    expect(restarted.bus.recover()).toBe(2);
    expect(restarted.delivered.map((d) => d.label).sort()).toEqual(["x", "y"]);
    expect(store.allMessages()).toEqual([]);
  });

  test("a receiver that throws is reported; the others are still woken", () => {
    const { clock, errors, bus, delivered, send } = setup({ minMs: 0, maxMs: 0 });
    const take = (target: string) => {
      if (target === "e:bad") throw new Error("boom");
      for (const m of bus.due(target)) {
        if (m.body.kind === "control") delivered.push({ label: m.body.reason, at: clock.now() });
        bus.step(() => bus.consume(m.id));
      }
    };
    bus.route(take);
    bus.step(() => {
      send("bad", "x");
      send("good", "after");
    });
    expect(errors).toEqual([new Error("boom")]);
    expect(delivered.map((d) => d.label)).toEqual(["after"]);
  });
});
