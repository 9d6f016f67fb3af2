/**
 * Two example singleton jobs. Their inputs come from HTTP callers, so each states what it accepts
 * (`checkInput`): a bad input is a 400 naming the field, before anything is decided.
 * - `reportJob`, finite: fetch, transform and publish through three activities. Input
 *   `{ items?: 0..1000, failAt?: "fetch" | "transform" | "publish", waitForEvent?: name }`: `failAt` makes
 *   that step throw (to see a failed run release the lock), `waitForEvent` holds the run open until the
 *   named external event arrives (handy for demos and tests of a live holder).
 * - `monitorJob`, eternal: check, sleep on a durable timer, `continueAsNew`; the lock (and the fencing
 *   token) carries over from one cycle to the next. Input `{ intervalSeconds?: 1..86400, iteration?: n }`.
 */
import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";
import { integerIn, objectInput, oneOf, textMatching } from "../core/inputChecks";
import { singletonOrchestration, singletonRun } from "./singleton";

/** At most this many report items: the rows travel through activity inputs and outputs. */
export const MAX_REPORT_ITEMS = 1000;
/** A monitor cycle sleeps from a second to a day. */
export const MAX_MONITOR_INTERVAL_S = 86_400;

export const checkReportInput = objectInput({
  items: integerIn(0, MAX_REPORT_ITEMS),
  failAt: oneOf("fetch", "transform", "publish"),
  waitForEvent: textMatching(/^[A-Za-z0-9_-]{1,64}$/, "an event name of 1-64 letters, digits, '_' or '-'"),
});

export const checkMonitorInput = objectInput({
  intervalSeconds: integerIn(1, MAX_MONITOR_INTERVAL_S),
  iteration: integerIn(0, Number.MAX_SAFE_INTEGER),
});

type Step = "fetch" | "transform" | "publish";

interface ReportInput {
  items?: number;
  failAt?: Step;
  waitForEvent?: string;
}

function failIf(step: Step, failAt: Step | undefined): void {
  if (step === failAt) throw new Error(`${step} failed as requested`);
}

df.app.activity("reportFetch", {
  handler: (input: ReportInput) => {
    failIf("fetch", input.failAt);
    return Array.from({ length: input.items ?? 3 }, (_, i) => i + 1);
  },
});

df.app.activity("reportTransform", {
  handler: (input: { rows: number[]; failAt?: Step }) => {
    failIf("transform", input.failAt);
    return input.rows.map((n) => n * n);
  },
});

df.app.activity("reportPublish", {
  handler: (input: { rows: number[]; failAt?: Step }) => {
    failIf("publish", input.failAt);
    return { published: input.rows.length, total: input.rows.reduce((a, b) => a + b, 0) };
  },
});

singletonOrchestration(
  "reportJob",
  function* (context: OrchestrationContext) {
    const input = (context.df.getInput<ReportInput>() ?? {}) as ReportInput;
    if (input.waitForEvent) yield context.df.waitForExternalEvent(input.waitForEvent);
    const rows = (yield context.df.callActivity("reportFetch", input)) as number[];
    const squared = (yield context.df.callActivity("reportTransform", {
      rows,
      failAt: input.failAt,
    })) as number[];
    const result = (yield context.df.callActivity("reportPublish", {
      rows: squared,
      failAt: input.failAt,
    })) as object;
    return { ...result, generation: singletonRun(context).generation };
  },
  { checkInput: checkReportInput },
);

interface MonitorInput {
  intervalSeconds?: number;
  iteration?: number;
}

df.app.activity("monitorCheck", {
  handler: (input: { iteration: number }) => ({ healthy: true, iteration: input.iteration }),
});

singletonOrchestration(
  "monitorJob",
  function* (context: OrchestrationContext) {
    const input = (context.df.getInput<MonitorInput>() ?? {}) as MonitorInput;
    const iteration = input.iteration ?? 0;
    const check = yield context.df.callActivity("monitorCheck", { iteration });
    context.df.setCustomStatus({ iteration, check, generation: singletonRun(context).generation });
    const next = new Date(context.df.currentUtcDateTime.getTime() + (input.intervalSeconds ?? 60) * 1000);
    yield context.df.createTimer(next);
    context.df.continueAsNew({ ...input, iteration: iteration + 1 });
    return undefined;
  },
  { checkInput: checkMonitorInput },
);
