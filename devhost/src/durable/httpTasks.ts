/**
 * Engine-side mirror of durable HTTP tasks (`context.df.callHttp`). Each CallHttp action is a built-in
 * activity (TaskScheduled "BuiltIn::HttpActivity", see ./durableHttp).
 *
 * The 202 polling pattern: with OOProc schema V3+ and polling enabled, the SDK's CallHttpWithPollingTask,
 * while replaying a 202 answer that has a Location header, numbers a timer and a follow-up HTTP call at once,
 * without sending actions for them; the extension's own loop (DurableOrchestrationContext.CallHttpAsync)
 * creates that timer (due after Retry-After seconds, else the default async sleep of 30 s) and, once it
 * fires, GETs the Location. The engine does the same under the numbers the SDK gave them, until an answer
 * other than 202 completes the SDK's task. With an older schema, or polling disabled, the 202 is the result.
 */
import type { OrchestratorAction } from "./actions";
import type { EpisodeWork } from "./episode";
import { headerValue, HTTP_ACTIVITY, locationPollRequest, type DurableHttpRequest } from "./durableHttp";
import { EventType, historyEvent, type HistoryEvent } from "./history";
import type { InstanceRecord } from "./store";

/** OOProc schema V3 (ReplaySchema.V3 = 2): from it on the SDK polls along with the extension. */
const POLLING_SCHEMA = 2;
/** HttpOptions.DefaultAsyncRequestSleepTimeMilliseconds, also sent to the SDK in the orchestration trigger. */
export const DEFAULT_ASYNC_SLEEP_MS = 30000;

/** Appends TaskScheduled for a CallHttp action and queues the request. */
export function scheduleHttp(work: EpisodeWork, action: OrchestratorAction): void {
  const request = (action.httpRequest ?? {}) as DurableHttpRequest;
  startHttp(work, work.record.nextSequence++, request, pollsAnswers(work, request));
}

/** Whether the SDK polls a 202 answer to this request (CallHttpWithPollingTask) along with the engine. */
export function pollsAnswers(work: EpisodeWork, request: DurableHttpRequest): boolean {
  return work.dispatch.schemaVersion >= POLLING_SCHEMA && request.asynchronousPatternEnabled !== false;
}

/** Sends `request` as the HTTP task with sequence number `id` (a new call, a poll, or a rewound call). */
export function startHttp(work: EpisodeWork, id: number, request: DurableHttpRequest, polls: boolean): void {
  const calls = (work.record.httpCalls ??= {});
  calls[id] = { request, polls };
  work.appended.push(
    historyEvent(
      EventType.TaskScheduled,
      work.now,
      // DurableTask schedules activities with an argument array: the request is its only element.
      { Name: HTTP_ACTIVITY, Input: JSON.stringify([request]) },
      id,
    ),
  );
  work.effects.push(() => work.dispatch.runHttp(work.instanceId, work.executionId, id, request));
}

/** True when the SDK numbers a poll timer and call while replaying `event` (a 202 it will poll). */
export function httpAllocatesOnReplay(record: InstanceRecord, event: HistoryEvent): boolean {
  if (event.EventType !== EventType.TaskCompleted && event.EventType !== EventType.TaskFailed) return false;
  const id = event.TaskScheduledId as number;
  const call = record.httpCalls?.[id];
  if (!call || !("polls" in call)) return false;
  if (event.EventType === EventType.TaskCompleted && call.polls && pollLocation(event) !== undefined)
    return true;
  delete record.httpCalls?.[id];
  return false;
}

/** Opening event of this episode is a 202 to poll: numbers the timer and the poll, arms the timer. */
export function continueHttpPolling(work: EpisodeWork, event: HistoryEvent): void {
  const { record, now } = work;
  if (event.EventType !== EventType.TaskCompleted) return;
  const id = event.TaskScheduledId as number;
  const call = record.httpCalls?.[id];
  const location = pollLocation(event);
  if (!call || !("polls" in call) || location === undefined) return;
  delete record.httpCalls?.[id];
  const retryAfter = headerValue(parseResponse(event)?.headers, "Retry-After");
  const delay =
    retryAfter && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) * 1000 : DEFAULT_ASYNC_SLEEP_MS;
  const timerId = record.nextSequence++;
  const pollId = record.nextSequence++;
  (record.httpCalls ??= {})[timerId] = { pollId, request: locationPollRequest(call.request, location) };
  work.timerCreated(timerId, now + delay);
  work.armTimer(timerId, now + delay);
}

/** A poll timer fired: the poll request goes out under the number the SDK gave it. */
export function pollAfterTimer(work: EpisodeWork, event: HistoryEvent): void {
  if (event.EventType !== EventType.TimerFired) return;
  const timerId = event.TimerId as number;
  const timer = work.record.httpCalls?.[timerId];
  if (!timer || !("pollId" in timer)) return;
  delete work.record.httpCalls?.[timerId];
  startHttp(work, timer.pollId, timer.request, true);
}

/** The request a rewound HTTP task sends again (its TaskScheduled Input is `[request]`). */
export function rewoundHttpRequest(input: unknown): DurableHttpRequest {
  return (Array.isArray(input) ? input[0] : input) as DurableHttpRequest;
}

function parseResponse(
  event: HistoryEvent,
): { statusCode?: number; headers?: Record<string, string> } | undefined {
  try {
    return JSON.parse(String(event.Result)) as { statusCode?: number; headers?: Record<string, string> };
  } catch {
    return undefined;
  }
}

/** The Location of a 202 answer (CallHttpWithPollingTask polls only those), else undefined. */
function pollLocation(event: HistoryEvent): string | undefined {
  const response = parseResponse(event);
  if (response?.statusCode !== 202) return undefined;
  return headerValue(response.headers, "Location");
}
