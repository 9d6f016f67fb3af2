/**
 * Rewind of a failed orchestration, the way the Azure Storage backend does it
 * (AzureTableTrackingStore.RewindHistoryAsync, AzureStorageOrchestrationService.RewindTaskOrchestrationAsync):
 *
 * - in the failed execution's history, every TaskFailed, SubOrchestrationInstanceFailed and the failed
 *   ExecutionCompleted become GenericEvents whose Reason is "Rewound: <old type>" (replay ignores them);
 *   the TaskScheduled of each failed task becomes one too, so the task is scheduled again on replay;
 *   the SubOrchestrationInstanceCreated of a failed child stays (marked in its Reason) and the child is
 *   rewound in turn;
 * - the instance goes back to Pending, and the deepest failed instances ("leaves") get a GenericEvent
 *   message carrying the reason, which makes them replay.
 *
 * This module rewrites the history and lists the tasks to run again; the runner does the rest.
 */
import { HTTP_ACTIVITY } from "./durableHttp";
import type { EpisodeWork } from "./episode";
import { EventType, parseJsonText, type HistoryEvent } from "./history";
import { pollsAnswers, rewoundHttpRequest, startHttp } from "./httpTasks";
import type { InstanceRecord, RewoundTask } from "./store";

export interface RewindPlan {
  /** Failed activities (and HTTP calls): their TaskScheduled is gone, the next episode schedules them again. */
  tasks: RewoundTask[];
  /** Children whose failure failed a sub-orchestration task: they are rewound in turn. */
  failedChildren: { id: number; childId: string; created: HistoryEvent }[];
}

/** Rewrites `history` (one execution) in place and returns what must run again. */
export function rewindHistory(history: HistoryEvent[]): RewindPlan {
  const plan: RewindPlan = { tasks: [], failedChildren: [] };
  const scheduledBy = (type: EventType, id: number) =>
    history.find((e) => e.EventType === type && e.EventId === id);
  for (const event of history) {
    if (event.EventType === EventType.TaskFailed) {
      const id = event.TaskScheduledId as number;
      const scheduled = scheduledBy(EventType.TaskScheduled, id);
      if (scheduled) {
        plan.tasks.push({
          kind: "activity",
          id,
          name: String(scheduled.Name),
          input: parseJsonText(scheduled.Input as string | undefined),
        });
        markRewound(scheduled);
      }
      markRewound(event);
    } else if (event.EventType === EventType.SubOrchestrationInstanceFailed) {
      const id = event.TaskScheduledId as number;
      const created = scheduledBy(EventType.SubOrchestrationInstanceCreated, id);
      if (created) {
        // The creation stays a SubOrchestrationInstanceCreated: only its Reason says it was rewound.
        created.Reason = `Rewound: ${EventType[created.EventType]}`;
        plan.failedChildren.push({ id, childId: String(created.InstanceId), created });
      }
      markRewound(event);
    } else if (event.EventType === EventType.ExecutionCompleted && event.OrchestrationStatus === "Failed") {
      markRewound(event);
    }
  }
  return plan;
}

/** The sub-orchestration to start again when its failed child cannot be rewound (it no longer exists). */
export function restartChildTask(child: RewindPlan["failedChildren"][number]): RewoundTask {
  const { created } = child;
  return {
    kind: "subOrchestration",
    id: child.id,
    name: String(created.Name),
    childId: child.childId,
    input: parseJsonText(created.Input as string | undefined),
    version: typeof created.Version === "string" ? created.Version : "",
  };
}

/** Opens the episode a rewind woke up: runs the rewound tasks again under their old sequence numbers. */
export function resumeRewoundTasks(work: EpisodeWork): void {
  const tasks = work.record.rewound;
  if (!tasks) return;
  delete work.record.rewound;
  for (const task of tasks) {
    if (task.kind === "activity" && task.name === HTTP_ACTIVITY) {
      const request = rewoundHttpRequest(task.input);
      startHttp(work, task.id, request, pollsAnswers(work, request));
    } else if (task.kind === "activity") {
      work.effects.push(work.activity(task.id, task.name, task.input));
    } else {
      const parent = { instanceId: work.instanceId, executionId: work.executionId, taskScheduledId: task.id };
      work.effects.push(() =>
        work.dispatch.startChild(parent, task.childId, task.name, task.input, task.version),
      );
    }
  }
}

/** Durable timers created and not fired yet: armed again, since the backend's timer messages outlive a failure. */
export function pendingTimers(record: InstanceRecord): Map<number, number> {
  const pending = new Map<number, number>();
  for (const e of record.history) {
    if (e.EventType === EventType.TimerCreated) pending.set(e.EventId, Date.parse(String(e.FireAt)));
    else if (e.EventType === EventType.TimerFired) pending.delete(e.TimerId as number);
  }
  return pending;
}

function markRewound(event: HistoryEvent): void {
  event.Reason = `Rewound: ${EventType[event.EventType]}`;
  event.EventType = EventType.GenericEvent;
}
