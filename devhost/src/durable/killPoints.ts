/**
 * Named points where crash tests kill the host for real. With DEVHOST_KILL_AT=<point>[:<n>] in its
 * environment, the process SIGKILLs itself the n-th time (default: the first) it reaches that point, among
 * the hits whose detail contains DEVHOST_KILL_MATCH (when set). It writes one line to stderr first, so the
 * test knows the kill came from the point it asked for. Without the variable every point is a no-op.
 *
 * - `entity-batch`: an entity batch is about to run (its operations are stored; a starter polling for its
 *   decision is waiting on it). Detail: entity id and operation names.
 * - `entity-commit`: inside the transaction that commits an entity batch (state, consumed and sent messages),
 *   before it commits. Detail: as `entity-batch`.
 * - `activity-start`: an activity is about to run. Detail: its name.
 * - `activity-ran`: an activity has run, its result is not committed yet. Detail: its name.
 * - `episode-committed`: an orchestration episode has committed, the messages it sent are not handed on yet.
 *   Detail: instance id and orchestrator name.
 * - `timer-due`: a durable timer has come due and is not delivered yet. Detail: the timer message's id.
 */
import { writeSync } from "node:fs";

export const KILL_POINTS = [
  "entity-batch",
  "entity-commit",
  "activity-start",
  "activity-ran",
  "episode-committed",
  "timer-due",
] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

interface KillPlan {
  point: KillPoint;
  hit: number;
  match?: string;
}

function planFrom(env: NodeJS.ProcessEnv): KillPlan | undefined {
  const text = env.DEVHOST_KILL_AT;
  if (!text) return undefined;
  const [point, count] = text.split(":");
  if (!(KILL_POINTS as readonly string[]).includes(point)) {
    throw new Error(`DEVHOST_KILL_AT: unknown kill point "${point}" (one of ${KILL_POINTS.join(", ")})`);
  }
  const hit = count === undefined ? 1 : Number(count);
  if (!Number.isInteger(hit) || hit < 1) throw new Error(`DEVHOST_KILL_AT: bad count "${count}"`);
  return { point: point as KillPoint, hit, match: env.DEVHOST_KILL_MATCH || undefined };
}

const plan = planFrom(process.env);
let hits = 0;

/** Kills the process here if the environment asks for this point (see the module comment). */
export function killPoint(point: KillPoint, detail: () => string): void {
  if (!plan || plan.point !== point) return;
  const text = detail();
  if (plan.match !== undefined && !text.includes(plan.match)) return;
  if (++hits < plan.hit) return;
  writeSync(2, `devhost: killed at ${point} (${text})\n`);
  process.kill(process.pid, "SIGKILL");
}
