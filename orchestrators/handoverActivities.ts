/**
 * Activities the wrapper uses for hand-overs an orchestration cannot do itself (JavaScript
 * orchestrations and entities cannot start or terminate other instances): starting a run promoted from
 * the queue, and terminating a run replaced by policy `replace`.
 */
import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { START_RUN_ACTIVITY, TERMINATE_RUN_ACTIVITY } from "../core/names";
import type { PromotedRun } from "../core/types";
import { coordinatorFor } from "../starters/durableCoordinatorClient";

const clientInput = df.input.durableClient();

df.app.activity(START_RUN_ACTIVITY, {
  extraInputs: [clientInput],
  handler: async (run: PromotedRun, context: InvocationContext) => {
    const client = coordinatorFor(context, clientInput);
    const envelope =
      run.input === undefined
        ? { job: run.job, generation: run.generation }
        : { job: run.job, generation: run.generation, input: run.input };
    await client.startRun(run.orchestrator, run.instanceId, envelope);
    context.log(
      `Started promoted run ${run.generation} of job '${run.job}' as instance '${run.instanceId}'.`,
    );
    return run.instanceId;
  },
});

df.app.activity(TERMINATE_RUN_ACTIVITY, {
  extraInputs: [clientInput],
  handler: async (req: { instanceId: string; reason: string }, context: InvocationContext) => {
    const client = coordinatorFor(context, clientInput);
    await client.terminate(req.instanceId, req.reason);
    return req.instanceId;
  },
});
