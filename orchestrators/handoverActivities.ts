/**
 * Activities for hand-overs an orchestration cannot do itself (JavaScript orchestrations and entities
 * cannot start or terminate other instances): starting a run whose start ticket the orchestration holds
 * (promoted from the queue, or a follow-up's own run), and terminating a run replaced by policy `replace`
 * (waiting until it has ended: see core/terminateRun.ts).
 * Activities run at least once, so the start first checks whether the run's instance already exists.
 */
import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { startOptions } from "../core/config";
import { START_RUN_ACTIVITY, TERMINATE_RUN_ACTIVITY } from "../core/names";
import { startRunOnce } from "../core/startRun";
import { terminateAndWait } from "../core/terminateRun";
import type { RunToStart } from "../core/types";
import { coordinatorFor } from "../starters/durableCoordinatorClient";

const clientInput = df.input.durableClient();

df.app.activity(START_RUN_ACTIVITY, {
  extraInputs: [clientInput],
  handler: async ({ run, input }: { run: RunToStart; input?: unknown }, context: InvocationContext) => {
    const result = await startRunOnce(coordinatorFor(context, clientInput), run, input, {
      ...startOptions(),
      precheck: true,
    });
    context.log(`Run ${run.generation} of job '${run.job}' as instance '${run.instanceId}': ${result}.`);
    return result;
  },
});

df.app.activity(TERMINATE_RUN_ACTIVITY, {
  extraInputs: [clientInput],
  handler: async (req: { instanceId: string; reason: string }, context: InvocationContext) => {
    await terminateAndWait(coordinatorFor(context, clientInput), req.instanceId, req.reason, startOptions());
    return req.instanceId;
  },
});
