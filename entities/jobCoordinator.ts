/**
 * The job coordinator entity, one per job name (entity key = job name). A thin binding: the decisions
 * live in core/coordinator.ts. Entities are never replayed, so reading the clock here is safe.
 */
import * as df from "durable-functions";
import type { EntityContext } from "durable-functions";
import { initialState } from "../core/boundedState";
import { settings } from "../core/config";
import { applyOperation } from "../core/coordinator";
import { registryShardOf } from "../core/jobRegistry";
import { COORDINATOR_ENTITY, REGISTRY_ENTITY } from "../core/names";
import type { JobState } from "../core/types";

export function jobCoordinator(context: EntityContext<JobState>): void {
  const job = context.df.entityKey;
  const isNew = context.df.isNewlyConstructed;
  const state = context.df.getState(() => initialState(job)) as JobState;
  const applied = applyOperation(
    state,
    context.df.operationName ?? "",
    context.df.getInput(),
    Date.now(),
    settings().coordinator,
  );
  if (isNew) context.df.signalEntity(new df.EntityId(REGISTRY_ENTITY, registryShardOf(job)), "add", job);
  context.df.setState(applied.state);
  context.df.return(applied.answer);
}

df.app.entity(COORDINATOR_ENTITY, jobCoordinator);
