/**
 * Builders for orchestration history events in the JSON shape the Durable extension sends to the
 * out-of-proc worker (PascalCase fields, numeric EventType, ISO timestamps).
 */
let eventTime = Date.parse("2026-01-01T00:00:00Z");

function base(eventType: number, eventId: number, isPlayed: boolean) {
  eventTime += 1000;
  return {
    EventType: eventType,
    EventId: eventId,
    IsPlayed: isPlayed,
    Timestamp: new Date(eventTime).toISOString(),
  };
}

export const history = {
  orchestratorStarted: (isPlayed = true) => base(12, -1, isPlayed),
  orchestratorCompleted: (isPlayed = true) => base(13, -1, isPlayed),
  executionStarted: (name: string, input: unknown, isPlayed = true) => ({
    ...base(0, -1, isPlayed),
    Name: name,
    Input: JSON.stringify(input),
  }),
  /** The request a callEntity action produced: the SDK maps the answer back through the request id. */
  eventSent: (
    eventId: number,
    entityInstanceId: string,
    operation: string,
    requestId: string,
    isPlayed = true,
  ) => ({
    ...base(14, eventId, isPlayed),
    Name: "op",
    InstanceId: entityInstanceId,
    Input: JSON.stringify({ id: requestId, op: operation }),
  }),
  /** The entity's answer to a callEntity, raised as an event named by the request id. */
  entityResponse: (requestId: string, result: unknown, isPlayed = false) => ({
    ...base(15, -1, isPlayed),
    Name: requestId,
    Input: JSON.stringify({ result: JSON.stringify(result) }),
  }),
  taskScheduled: (eventId: number, name: string, isPlayed = true) => ({
    ...base(4, eventId, isPlayed),
    Name: name,
  }),
  taskCompleted: (taskScheduledId: number, result: unknown, isPlayed = false) => ({
    ...base(5, -1, isPlayed),
    TaskScheduledId: taskScheduledId,
    Result: JSON.stringify(result),
  }),
  taskFailed: (taskScheduledId: number, reason: string, isPlayed = false) => ({
    ...base(6, -1, isPlayed),
    TaskScheduledId: taskScheduledId,
    Reason: reason,
    Details: "at activity",
  }),
};

export function orchestrationTrigger(instanceId: string, events: object[], input: unknown) {
  return {
    history: events,
    input,
    instanceId,
    isReplaying: false,
    parentInstanceId: null,
    upperSchemaVersion: 3,
    longRunningTimerIntervalDuration: "3.00:00:00",
    maximumShortTimerDuration: "6.00:00:00",
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
}
