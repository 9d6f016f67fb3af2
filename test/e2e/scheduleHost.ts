/**
 * Helpers for the schedule tests on the devhost: a jobs file of the test's own, firing a timer function by
 * hand (a second host's firing, a retried timer), and the overlap scenario's world over real HTTP.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { DevHost } from "durable-functions-devhost";
import type { JobView, ScheduleWorld } from "../helpers/overlapScenario";
import { WEBHOOKS, type AppClient } from "./appHost";

/** Writes a jobs file (eternal jobs and schedules) to a fresh temporary directory; returns its path. */
export function writeJobsFile(
  content: { eternalJobs?: unknown[]; schedules?: unknown[] },
  name = "jobs.json",
): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "schedules-")), name);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

/**
 * Runs a timer function once, as its timer would, with the timer value the host sends. The devhost has
 * no public way to fire a timer function by hand (the real host's `POST /admin/functions/{name}` is not
 * served), so this goes through its invoker, which runs any registered function by trigger type: the
 * same invocation path the devhost's own timers take (`invokeTimer`).
 */
export async function fireTimer(host: DevHost, functionName: string, isPastDue = false): Promise<void> {
  const now = new Date(host.clock.now()).toISOString();
  const info = {
    Schedule: { AdjustForDST: true },
    ScheduleStatus: { Last: now, Next: now, LastUpdated: now },
    IsPastDue: isPastDue,
  };
  await host.invoker.invoke(
    functionName,
    "timerTrigger" as Parameters<DevHost["invoker"]["invoke"]>[1],
    info,
  );
}

/** The overlap scenario's world on the devhost: every run is a `reportJob` waiting for the event "done". */
export class DevhostScheduleWorld implements ScheduleWorld {
  constructor(private readonly app: AppClient) {}

  now(): number {
    return this.app.host.clock.now();
  }

  async advanceTo(at: number): Promise<void> {
    await this.app.advance(Math.max(0, at - this.now()));
  }

  async finish(instanceId: string): Promise<void> {
    const raised = await this.app.raiseEvent(instanceId, "done");
    if (raised.status !== 202) throw new Error(`raiseEvent ${instanceId}: ${raised.status}`);
    await this.app.idle();
  }

  async job(name: string): Promise<JobView> {
    const reply = await this.app.jobState(name);
    if (reply.status !== 200) throw new Error(`GET /api/jobs/${name}: ${reply.status}`);
    return reply.body as unknown as JobView;
  }

  async status(instanceId: string): Promise<string> {
    return String((await this.app.instance(instanceId)).body.runtimeStatus);
  }

  async live(job: string): Promise<string[]> {
    const reply = await this.app.get(
      `${WEBHOOKS}/instances?runtimeStatus=Pending,Running,Suspended&instanceIdPrefix=${encodeURIComponent(`${job}:`)}`,
    );
    return (reply.body as unknown as { instanceId: string }[]).map((i) => i.instanceId);
  }
}
