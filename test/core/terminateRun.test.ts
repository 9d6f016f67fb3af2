import type { InstanceStatus } from "../../core/coordinatorClient";
import { terminateAndWait } from "../../core/terminateRun";

const options = { waitBudgetMs: 100, poll: { initialMs: 1, maxMs: 10, factor: 2 } };

/** A run whose status goes through `statuses`, one per read (the last one repeats). */
function runGoingThrough(statuses: InstanceStatus[]) {
  const calls: string[] = [];
  const slept: number[] = [];
  let reads = 0;
  return {
    calls,
    slept,
    client: {
      terminate: async (id: string, reason: string) => void calls.push(`terminate ${id} ${reason}`),
      instance: async () => {
        calls.push("read");
        return { status: statuses[Math.min(reads++, statuses.length - 1)] };
      },
      sleep: async (ms: number) => void slept.push(ms),
    },
  };
}

test("returns once the terminated run has ended, backing off between reads", async () => {
  const run = runGoingThrough(["Running", "Running", "Suspended", "Terminated"]);
  await terminateAndWait(run.client, "r1", "replaced", options);
  expect(run.calls).toEqual(["terminate r1 replaced", "read", "read", "read", "read"]);
  expect(run.slept).toEqual([1, 2, 4]);
});

test.each<InstanceStatus>(["Completed", "Failed", "Terminated", "NotFound"])(
  "a run already %s needs no wait",
  async (status) => {
    const run = runGoingThrough([status]);
    await terminateAndWait(run.client, "r1", "replaced", options);
    expect(run.calls).toEqual(["terminate r1 replaced", "read"]);
    expect(run.slept).toEqual([]);
  },
);

test("a run still live after the budget is an error naming it (the hand-over activity is retried)", async () => {
  const run = runGoingThrough(["Running"]);
  await expect(terminateAndWait(run.client, "r1", "replaced", options)).rejects.toThrow(
    "Instance 'r1' is still Running 100 ms after its termination was requested.",
  );
  expect(run.slept.reduce((a, b) => a + b, 0)).toBe(100);
});
