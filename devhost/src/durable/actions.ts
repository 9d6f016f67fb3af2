/** The orchestrator's reply (OrchestratorState) and its actions, as JSON after the RPC hop. */

export enum ActionType {
  CallActivity = 0,
  CallActivityWithRetry = 1,
  CallSubOrchestrator = 2,
  CallSubOrchestratorWithRetry = 3,
  ContinueAsNew = 4,
  CreateTimer = 5,
  WaitForExternalEvent = 6,
  CallEntity = 7,
  CallHttp = 8,
  SignalEntity = 9,
  ScheduledSignalEntity = 10,
  WhenAny = 11,
  WhenAll = 12,
  LockEntities = 13,
  ReleaseEntities = 14,
}

export interface OrchestratorAction {
  actionType: ActionType;
  functionName?: string;
  input?: unknown;
  retryOptions?: unknown;
  instanceId?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  operation?: string;
  compoundActions?: OrchestratorAction[];
  preserveUnprocessedEvents?: boolean;
  [field: string]: unknown;
}

export interface OrchestratorResult {
  isDone: boolean;
  actions: unknown;
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
  failureDetails?: unknown;
}

/** Label the SDK puts between the error message and the OrchestratorState JSON when the orchestrator throws. */
const OUT_OF_PROC_DATA_LABEL = "\n\n$OutOfProcData$:";

/** Recovers the OrchestratorState from an orchestrator failure, when the SDK attached one. */
export function orchestratorStateFromError(err: unknown): OrchestratorResult | undefined {
  const message = err instanceof Error ? err.message : typeof err === "string" ? err : undefined;
  if (!message) return undefined;
  const at = message.indexOf(OUT_OF_PROC_DATA_LABEL);
  if (at < 0) return undefined;
  try {
    return JSON.parse(message.slice(at + OUT_OF_PROC_DATA_LABEL.length)) as OrchestratorResult;
  } catch {
    return undefined;
  }
}

/**
 * Flattens the actions of every schema version into the order the SDK numbers its tasks: V1 sends one
 * array per yield with compound tasks already flattened; V2+ send one array with WhenAll/WhenAny nodes
 * whose children come depth first.
 */
export function flattenActions(actions: unknown): OrchestratorAction[] {
  const out: OrchestratorAction[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
    } else if (node && typeof node === "object") {
      const action = node as OrchestratorAction;
      if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny) {
        visit(action.compoundActions ?? []);
      } else {
        out.push(action);
      }
    }
  };
  visit(actions);
  return out;
}

/**
 * The SDK JSON-encodes string inputs of activities and continueAsNew (Utils.processInput) so the extension
 * can pass them through as JSON text; this recovers the value the orchestrator passed.
 */
export function decodeProcessedInput(input: unknown): unknown {
  if (typeof input !== "string") return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}
