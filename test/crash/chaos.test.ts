/**
 * Chaos: a seeded mixed workload on the devhost's SQLite store while the host is SIGKILLed from outside at
 * random moments (CHAOS_KILLS times, 20 by default) and restarted on the same data and port. The workload:
 * 64-way races on fresh jobs, the queue and replace policies, failing runs, idempotency-key retries, fan-out
 * activities, and an eternal job ticking every 2 s whose run loops with a 1 s durable timer. Requests that
 * failed with the host are retried with their key afterwards. Once it drains, the test checks the promises:
 *   - no two runs of one job ever ran user code at the same time (the crash app journals each begin and end
 *     to a file that survives the kills; a terminated run ends when its termination took effect);
 *   - every request answered `started` got one run, which ended Completed, Failed or Terminated, and the
 *     coordinator recorded that ending once (its run history, counters and instances agree);
 *   - a request retried with its key after a restart gets its original answer;
 *   - nothing is left: no live instance and no stored message (timers included).
 * The plan is drawn from CHAOS_SEED (random by default) and printed when the test fails, so a failure can be
 * replayed: `CHAOS_SEED=... CHAOS_KILLS=100 npx jest test/crash/chaos --selectProjects app`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { HostProcess, killLeftovers, leftovers, tempDir, type Reply } from "./hostProcess";
import { overlaps, readJournal, userCodeRuns, type UserCodeRun } from "./journal";

afterEach(killLeftovers);

const SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Date.now() % 2 ** 31;
const KILLS = Number(process.env.CHAOS_KILLS ?? 20);
/** Long enough that a run whose starter lived confirms first; short enough to drain dead starters' runs. */
const LEASE_MS = 8000;
const ETERNAL = "chaos-eternal";
const TERMINAL = new Set(["Completed", "Failed", "Terminated"]);

type Op =
  | { kind: "race"; fanOut: number }
  | { kind: "queue"; requests: number; timerSeconds: number }
  | { kind: "replace"; timerSeconds: number; gapMs: number }
  | { kind: "fail" }
  | { kind: "retry"; pick: number };

interface Round {
  ops: Op[];
  /** How long the host lives in this round before it is killed. */
  uptimeMs: number;
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant("race" as const), fanOut: fc.integer({ min: 1, max: 3 }) }),
    weight: 2,
  },
  fc.record({
    kind: fc.constant("queue" as const),
    requests: fc.integer({ min: 2, max: 3 }),
    timerSeconds: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({
    kind: fc.constant("replace" as const),
    timerSeconds: fc.integer({ min: 1, max: 3 }),
    gapMs: fc.integer({ min: 0, max: 400 }),
  }),
  fc.record({ kind: fc.constant("fail" as const) }),
  fc.record({ kind: fc.constant("retry" as const), pick: fc.nat() }),
);

const planArb = fc.array(
  fc.record({
    ops: fc.array(opArb, { minLength: 1, maxLength: 3 }),
    uptimeMs: fc.integer({ min: 300, max: 1500 }),
  }),
  { minLength: KILLS, maxLength: KILLS },
);

/** One start request of the workload, with what it was told (or how it failed). */
interface Sent {
  job: string;
  key: string;
  body: Record<string, unknown>;
  /** The first answer it got, and the round it got it in. */
  answer?: Reply;
  round?: number;
  error?: string;
}

class Chaos {
  host!: HostProcess;
  round = 0;
  readonly sent: Sent[] = [];
  readonly inFlight: Promise<void>[] = [];
  private jobs = 0;

  constructor(
    readonly dataDir: string,
    readonly env: Record<string, string>,
  ) {}

  async start(port = 0): Promise<void> {
    this.host = await HostProcess.start({ dataDir: this.dataDir, port, env: this.env });
  }

  /** Sends a start request to whichever host is up now; a failure is recorded, to be retried later. */
  send(job: string, key: string, body: Record<string, unknown>): Promise<void> {
    const sent: Sent = { job, key, body: { ...body, idempotencyKey: key } };
    this.sent.push(sent);
    return this.post(sent).then(
      (reply) => {
        sent.answer = reply;
        sent.round = this.round;
      },
      (err: unknown) => {
        sent.error = String(err);
      },
    );
  }

  post(sent: Sent): Promise<Reply> {
    return this.host.request("POST", `/api/jobs/${sent.job}/start`, sent.body);
  }

  launch(op: Op): void {
    const job = `${op.kind}-${++this.jobs}`;
    const work = async (): Promise<void> => {
      switch (op.kind) {
        case "race":
          await Promise.all(
            Array.from({ length: 64 }, (_, i) =>
              this.send(job, `${job}-${i}`, { orchestrator: "crashJob", input: { fanOut: op.fanOut } }),
            ),
          );
          return;
        case "queue":
          await this.send(job, `${job}-holder`, {
            orchestrator: "crashJob",
            policy: "queue",
            input: { timerSeconds: op.timerSeconds },
          });
          await Promise.all(
            Array.from({ length: op.requests - 1 }, (_, i) =>
              this.send(job, `${job}-${i}`, {
                orchestrator: "crashJob",
                policy: "queue",
                input: { fanOut: 2 },
              }),
            ),
          );
          return;
        case "replace":
          await this.send(job, `${job}-first`, {
            orchestrator: "crashJob",
            input: { timerSeconds: op.timerSeconds },
          });
          await new Promise((resolve) => setTimeout(resolve, op.gapMs)); // a random moment of the first run
          await this.send(job, `${job}-second`, { orchestrator: "crashJob", policy: "replace" });
          return;
        case "fail":
          await this.send(job, `${job}-0`, { orchestrator: "crashJob", input: { fail: true } });
          return;
        case "retry": {
          const answered = this.sent.filter((s) => s.answer);
          if (answered.length === 0) return;
          const again = answered[op.pick % answered.length];
          await this.post(again).catch(() => undefined); // checked at the end, after a restart
          return;
        }
      }
    };
    this.inFlight.push(work());
  }

  /** Resends a request with its key until it gets a final answer (a pending one is asked at its Location). */
  async settle(sent: Sent): Promise<Reply> {
    for (let attempt = 0; ; attempt++) {
      const reply = await this.post(sent);
      if (reply.status !== 202 || reply.body.status !== "pending") return reply;
      if (attempt > 200) throw new Error(`request ${sent.key} of job ${sent.job} stays pending`);
      await this.host.idle();
      await new Promise((resolve) => setTimeout(resolve, 100)); // its follow-up waits for a lease, in real time
    }
  }

  /** Waits until no instance is live (follow-ups may wait for a lease to end, in real time). */
  async drain(): Promise<void> {
    const deadline = Date.now() + LEASE_MS * 4 + 30_000;
    for (;;) {
      await this.host.idle();
      const live = await this.host.request(
        "GET",
        "/runtime/webhooks/durabletask/instances?runtimeStatus=Pending,Running,Suspended",
      );
      const list = live.body as unknown as unknown[];
      if (Array.isArray(live.body) ? list.length === 0 : false) return;
      if (Date.now() > deadline) throw new Error(`still live: ${JSON.stringify(live.body).slice(0, 2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

interface JobView {
  generation: number;
  active?: { generation: number; instanceId: string; phase: string };
  counters: Record<string, number>;
  runs: { generation: number; instanceId: string; outcome: string }[];
}

test(`chaos: ${KILLS} SIGKILLs during a mixed workload, seed ${SEED}`, async () => {
  const plan: Round[] = fc.sample(planArb, { seed: SEED, numRuns: 1 })[0];
  const dir = tempDir("chaos-");
  const journal = path.join(dir, "journal.ndjson");
  const jobsFile = path.join(dir, "jobs.json");
  fs.writeFileSync(
    jobsFile,
    JSON.stringify({
      eternalJobs: [
        {
          name: ETERNAL,
          orchestrator: "crashEternal",
          schedule: "*/2 * * * * *",
          input: { intervalSeconds: 1 },
          runOnStartup: true,
        },
      ],
    }),
  );
  const chaos = new Chaos(path.join(dir, "data"), {
    CRASH_JOURNAL: journal,
    SINGLETON_LEASE_MS: String(LEASE_MS),
    SINGLETON_JOBS_FILE: jobsFile,
  });
  try {
    await chaos.start();
    const port = chaos.host.port;
    // The workload runs while the host is killed at the end of each round and brought back.
    for (const round of plan) {
      for (const op of round.ops) chaos.launch(op);
      await new Promise((resolve) => setTimeout(resolve, round.uptimeMs)); // the random moment of the kill
      expect(await chaos.host.kill()).toEqual({ code: null, signal: "SIGKILL" });
      chaos.round++;
      await chaos.start(port);
    }
    await Promise.all(chaos.inFlight);

    // Every request answered "started" before a restart gets the same answer again. (Checked before the failed
    // requests are retried below: those may be decided afresh, and a job keeps its last 32 decisions only.)
    for (const sent of chaos.sent) {
      if (sent.answer?.body.status !== "started" || sent.round === chaos.round) continue;
      const again = await chaos.post(sent);
      expect([sent.key, again.body.status, again.body.generation, again.body.instanceId]).toEqual([
        sent.key,
        "started",
        sent.answer.body.generation,
        sent.answer.body.instanceId,
      ]);
    }

    // Requests that failed with the host (or were left pending) are retried with their key, all at once as
    // their callers would (a job is free again by now, so each retry is a race of its own).
    await Promise.all(
      chaos.sent
        .filter((sent) => !sent.answer || sent.answer.body.status === "pending")
        .map(async (sent) => {
          sent.answer = await chaos.settle(sent);
          sent.round = chaos.round;
        }),
    );
    for (const sent of chaos.sent) {
      expect([sent.key, [202, 409].includes(sent.answer?.status ?? 0)]).toEqual([sent.key, true]);
    }
    // The eternal job is paused (no tick starts it again) and released (its run is terminated).
    expect(
      (await chaos.host.request("POST", `/api/jobs/${ETERNAL}/pause`, { reason: "chaos done" })).status,
    ).toBe(200);
    expect(
      (await chaos.host.request("POST", `/api/jobs/${ETERNAL}/release`, { reason: "chaos done" })).status,
    ).toBe(200);
    await chaos.drain();

    // Instances, job views and the journal, read from the drained host.
    const jobs = [...new Set([...chaos.sent.map((s) => s.job), ETERNAL])];
    const views = new Map<string, JobView>();
    for (const job of jobs) {
      views.set(job, (await chaos.host.request("GET", `/api/jobs/${job}`)).body as unknown as JobView);
    }
    type InstanceStatus = { runtimeStatus: string; lastUpdatedTime: string; output?: unknown };
    const statusOf = new Map<string, InstanceStatus>();
    for (const view of views.values()) {
      for (const run of view.runs) {
        const status = await chaos.host.instance(run.instanceId);
        statusOf.set(run.instanceId, status as InstanceStatus);
      }
    }
    const userCode = userCodeRuns(readJournal(journal));

    // 1. Every "started" answer names a run that ended, recorded once by its job's coordinator.
    for (const sent of chaos.sent) {
      if (sent.answer?.body.status !== "started") continue;
      const { generation, instanceId } = sent.answer.body as { generation: number; instanceId: string };
      const view = views.get(sent.job)!;
      const recorded = view.runs.filter((r) => r.generation === generation);
      const seen = JSON.stringify({
        runs: view.runs.map((r) => [r.generation, r.outcome]),
        active: view.active,
      });
      expect({ key: sent.key, generation, recorded: recorded.length, seen }).toEqual({
        key: sent.key,
        generation,
        recorded: 1,
        seen,
      });
      expect([sent.key, TERMINAL.has(statusOf.get(instanceId)?.runtimeStatus ?? "none")]).toEqual([
        sent.key,
        true,
      ]);
    }

    // 2. Each coordinator's counters agree with its run history and with the instances in the store.
    for (const [job, view] of views) {
      const finished = view.runs;
      const live = view.active ? 1 : 0;
      // A run still `starting` at the end had a starter that died: nobody will start it (its lease frees the job).
      if (view.active) expect([job, view.active.phase]).toEqual([job, "starting"]);
      expect([job, view.counters.accepted]).toEqual([job, view.generation]);
      expect([job, finished.length + live]).toEqual([job, view.generation]);
      expect([job, new Set(finished.map((r) => r.generation)).size]).toEqual([job, finished.length]);
      const byOutcome = (outcome: string) => finished.filter((r) => r.outcome === outcome).length;
      expect([job, view.counters.completed, view.counters.failed, view.counters.leaseExpired]).toEqual([
        job,
        byOutcome("completed"),
        byOutcome("failed"),
        byOutcome("abandoned"),
      ]);
      expect([job, view.counters.replaced + view.counters.released]).toEqual([
        job,
        byOutcome("replaced") + byOutcome("released"),
      ]);
      for (const run of finished) {
        const instance = statusOf.get(run.instanceId);
        const status = instance?.runtimeStatus ?? "NotFound";
        const superseded = (instance?.output as { superseded?: boolean } | null)?.superseded === true;
        const ranUserCode = userCode.some((u) => u.job === job && u.generation === run.generation);
        const expected: Record<string, string[]> = {
          completed: ["Completed"],
          failed: ["Failed"],
          // terminated once it had confirmed; a run displaced before it confirmed ends superseded (Completed)
          replaced: ["Terminated", "Completed", "NotFound"],
          released: ["Terminated", "Completed", "NotFound"],
          // never confirmed: never started, or superseded when it started late
          abandoned: ["NotFound", "Completed"],
        };
        expect([job, run.generation, run.outcome, expected[run.outcome]?.includes(status)]).toEqual([
          job,
          run.generation,
          run.outcome,
          true,
        ]);
        const displacedWhileRunning =
          (run.outcome === "replaced" || run.outcome === "released") && status === "Completed" && !superseded;
        const userCodeExpected =
          run.outcome === "completed" || run.outcome === "failed"
            ? true // it ran to its end
            : status === "Terminated"
              ? undefined // stopped wherever it was
              : displacedWhileRunning
                ? // confirmed, then displaced; whoever was to terminate it (the replacing starter, the next
                  // run to confirm) had not yet when its user code ended on its own (its report was stale)
                  true
                : false; // never started, or superseded without running user code
        if (userCodeExpected !== undefined) {
          expect([job, run.generation, ranUserCode]).toEqual([job, run.generation, userCodeExpected]);
        }
      }
    }

    // 3. No two runs of one job ran user code at the same time.
    const endOf = (run: UserCodeRun): number => {
      const status = statusOf.get(run.instanceId);
      if (status?.runtimeStatus !== "Terminated") {
        throw new Error(
          `user code of ${run.job} ${run.generation}/${run.cycle} never ended (${status?.runtimeStatus})`,
        );
      }
      return Date.parse(status.lastUpdatedTime);
    };
    expect(overlaps(userCode, endOf)).toEqual([]);
    expect(userCode.length).toBeGreaterThan(0);

    const count = (status: string) => chaos.sent.filter((x) => x.answer?.body.status === status).length;
    const outcomes: Record<string, number> = {};
    for (const view of views.values())
      for (const r of view.runs) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    console.log(
      `chaos seed ${SEED}: ${KILLS} kills, ${chaos.sent.length} requests (${count("started")} started, ` +
        `${count("queued")} queued, ${chaos.sent.filter((x) => x.answer?.status === 409).length} refused, ` +
        `${chaos.sent.filter((x) => x.error).length} failed with the host and retried), ${jobs.length} jobs, ` +
        `runs ${JSON.stringify(outcomes)}, ${userCode.length} user-code executions ` +
        `(${userCode.filter((u) => u.job === ETERNAL).length} eternal cycles)`,
    );

    // 4. Nothing is left in the store once the host stops.
    expect(await chaos.host.stop()).toEqual({ code: 0, signal: null });
    expect(leftovers(chaos.dataDir)).toEqual({ messages: [], liveInstances: [] });
  } catch (err) {
    throw new Error(
      `chaos failed with CHAOS_SEED=${SEED} CHAOS_KILLS=${KILLS} (data in ${dir}): ${String(err)}`,
      {
        cause: err,
      },
    );
  }
}, 600_000);
