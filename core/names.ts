/** Names of the functions the singleton machinery registers (shared by bindings and tests). */
export const COORDINATOR_ENTITY = "jobCoordinator";
export const REGISTRY_ENTITY = "jobRegistry";
export const START_RUN_ACTIVITY = "singletonStartRun";
export const TERMINATE_RUN_ACTIVITY = "singletonTerminateRun";
/** The orchestration that finishes a request whose starter ran out of its wait budget (core/followUp.ts). */
export const FOLLOW_UP_ORCHESTRATOR = "singletonRequest";
