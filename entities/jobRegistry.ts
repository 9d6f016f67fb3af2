/** The registry entities (keys "shard-0".."shard-15") that remember every job name, for `GET /api/jobs`. */
import * as df from "durable-functions";
import type { EntityContext } from "durable-functions";
import { addJob, emptyRegistry, type RegistryState } from "../core/jobRegistry";
import { REGISTRY_ENTITY } from "../core/names";

export function jobRegistry(context: EntityContext<RegistryState>): void {
  const state = context.df.getState(() => emptyRegistry()) as RegistryState;
  switch (context.df.operationName) {
    case "add": {
      const next = addJob(state, String(context.df.getInput()));
      if (next !== state || context.df.isNewlyConstructed) context.df.setState(next);
      return;
    }
    case "get":
      context.df.setState(state);
      context.df.return(state);
      return;
    default:
      throw new Error(`Unknown operation '${context.df.operationName}'. Known operations: add, get.`);
  }
}

df.app.entity(REGISTRY_ENTITY, jobRegistry);
