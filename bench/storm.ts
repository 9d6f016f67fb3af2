/**
 * A start storm, client side: N concurrent `POST /api/jobs/{job}/start` on one job, every request in
 * flight at once, each on its own keep-alive connection (undici `Client`), then pending answers resolved
 * by polling their `Location`. Runs in a child process (`stormProcess.ts`): the host's process already
 * holds one socket per connection, and both ends in one process would need 2N file descriptors.
 *
 * The connections are opened before the storm, in waves (each proven by a GET of the no-op function), so
 * the host's listen backlog never sees N connection attempts at once and the storm's requests all go out
 * on established connections; the time that took and any connection errors are reported.
 */
import * as fs from "node:fs";
import { Client, request as undiciRequest } from "undici";
import { percentile } from "./measure";

export interface StormOptions {
  baseUrl: string;
  job: string;
  requests: number;
  /** The start request's body. */
  body: string;
  /** Connections opened at a time before the storm (Node's default listen backlog is 511). */
  wave: number;
  /** Back-off between polls of a pending answer's Location: first wait, ceiling (doubling). */
  pollInitialMs: number;
  pollMaxMs: number;
  /** A pending answer still pending this long after its request was sent counts as unresolved. */
  deadlineMs: number;
}

export interface StormResult {
  requests: number;
  connections: number;
  /** Requests per connection (1 unless the file descriptor limit is below the request count). */
  pipelining: number;
  /** The process's open-files limit (Linux), or undefined where it cannot be read. */
  fdLimit?: number;
  /** Opening the connections (before the storm): time, errors. */
  connect: { ms: number; waves: number; errors: number; firstError?: string };
  /** Listen-queue overflows (system-wide, Linux) while the connections opened and during the storm. */
  listenOverflows: { connect?: number; storm?: number };
  /** From the first request sent to the last request answered (pending ones resolved). */
  elapsedMs: number;
  /** Time the loop that sends all requests took (they are in flight once it ends). */
  sendMs: number;
  /** Per request, from its send to its final answer (HTTP answers only; network errors excluded). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Latency by final outcome (`409`, `503`, `pending→202 started`, …). */
  latencyByOutcome: Record<string, { count: number; minMs: number; p50Ms: number; maxMs: number }>;
  /** First answers: `202 started`, `202 pending`, `202 queued`, `200 existing`, `409`, `503`, `5xx`, … */
  first: Record<string, number>;
  /** How the `202 pending` answers ended (the same keys, or `unresolved`, `poll error`). */
  resolved: Record<string, number>;
  polls: number;
  /** Network errors, 5xx other than 503, unexpected statuses, unresolved pending answers. */
  errors: number;
  firstError?: string;
  /** Distinct instance ids of the `started` answers (after resolving pending ones). */
  startedInstanceIds: string[];
}

interface Answer {
  status: number;
  body: unknown;
  location?: string;
}

/** Open-files soft limit from /proc/self/limits (Linux), and how many are open now. */
function fileDescriptors(): { limit?: number; open: number } {
  try {
    const limits = fs.readFileSync("/proc/self/limits", "utf8");
    const match = /^Max open files\s+(\d+)/m.exec(limits);
    return { limit: match ? Number(match[1]) : undefined, open: fs.readdirSync("/proc/self/fd").length };
  } catch {
    return { open: 0 };
  }
}

/**
 * The kernel's count of connections dropped because a listen queue was full (TcpExt ListenOverflows,
 * Linux; for the whole network namespace, so other processes' overflows count too), or undefined.
 */
export function listenOverflows(): number | undefined {
  try {
    const lines = fs.readFileSync("/proc/net/netstat", "utf8").split("\n");
    const names = lines.find((l) => l.startsWith("TcpExt:") && /[A-Za-z]/.test(l.slice(7)));
    const values = lines.find((l) => l.startsWith("TcpExt:") && l !== names && !/[A-Za-z]/.test(l.slice(7)));
    if (!names || !values) return undefined;
    const index = names.split(/\s+/).indexOf("ListenOverflows");
    const value = Number(values.split(/\s+/)[index]);
    return index > 0 && Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function delta(before: number | undefined, after: number | undefined): number | undefined {
  return before === undefined || after === undefined ? undefined : after - before;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function bodyStatus(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const status = (body as { status?: unknown }).status;
  return typeof status === "string" ? status : undefined;
}

/** The outcome key of an answer. */
export function classify(answer: Answer): string {
  const s = bodyStatus(answer.body);
  if (answer.status === 202 && s) return `202 ${s}`;
  if (answer.status === 200 && s === "existing") return "200 existing";
  if (answer.status === 409 || answer.status === 503) return String(answer.status);
  if (answer.status >= 500) return "5xx";
  return String(answer.status);
}

const EXPECTED = new Set(["202 started", "202 pending", "202 queued", "200 existing", "409", "503"]);

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export async function runStorm(o: StormOptions): Promise<StormResult> {
  const origin = new URL(o.baseUrl).origin;
  const fds = fileDescriptors();
  // Leave room for the process's own files and the pollers; the rest is one connection per request.
  const room = fds.limit === undefined ? o.requests : Math.max(1, fds.limit - fds.open - 256);
  const connections = Math.min(o.requests, room);
  const pipelining = Math.ceil(o.requests / connections);
  const clients = Array.from(
    { length: connections },
    () =>
      new Client(origin, {
        pipelining,
        keepAliveTimeout: 120_000,
        keepAliveMaxTimeout: 120_000,
        headersTimeout: 0,
        bodyTimeout: 0,
      }),
  );

  let errors = 0;
  let firstError: string | undefined;
  const fail = (message: string) => {
    errors++;
    firstError ??= message;
  };

  const send = async (
    client: Client,
    method: "GET" | "POST",
    target: string,
    body?: string,
  ): Promise<Answer> => {
    const url = new URL(target, origin);
    const options = {
      method,
      ...(body === undefined ? {} : { body, headers: { "content-type": "application/json" } }),
    };
    const res =
      url.origin === origin
        ? await client.request({ ...options, path: url.pathname + url.search })
        : await undiciRequest(url, options);
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    const location = headerValue(res.headers.location);
    return { status: res.statusCode, body: parsed, ...(location ? { location } : {}) };
  };

  // 1. Open the connections, `wave` at a time.
  const connect = { ms: 0, waves: 0, errors: 0, firstError: undefined as string | undefined };
  const overflowsBefore = listenOverflows();
  const connectStart = performance.now();
  for (let from = 0; from < connections; from += o.wave) {
    connect.waves++;
    await Promise.all(
      clients.slice(from, from + o.wave).map(async (client) => {
        try {
          const answer = await send(client, "GET", "/api/bench/noop");
          if (answer.status !== 200) throw new Error(`HTTP ${answer.status} from the no-op function`);
        } catch (error) {
          connect.errors++;
          connect.firstError ??= describe(error);
        }
      }),
    );
  }
  connect.ms = performance.now() - connectStart;
  const overflowsAfterConnect = listenOverflows();

  // 2. The storm: every request sent before any answer is awaited.
  const first: Record<string, number> = {};
  const resolved: Record<string, number> = {};
  const latencies = new Float64Array(o.requests);
  const byOutcome: Record<string, number[]> = {};
  let answered = 0;
  let polls = 0;
  let lastAnswerAt = 0;
  const started = new Set<string>();
  const count = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);
  const noteStarted = (answer: Answer) => {
    const id = (answer.body as { instanceId?: unknown } | undefined)?.instanceId;
    if (typeof id === "string") started.add(id);
  };

  const resolvePending = async (client: Client, answer: Answer, sentAt: number): Promise<string> => {
    let location = answer.location;
    if (!location) {
      fail("202 pending without a Location header");
      return "poll error";
    }
    let delay = o.pollInitialMs;
    for (;;) {
      if (performance.now() - sentAt > o.deadlineMs) {
        fail(`still pending after ${o.deadlineMs} ms: ${location}`);
        return "unresolved";
      }
      await sleep(delay);
      delay = Math.min(o.pollMaxMs, delay * 2);
      polls++;
      let next: Answer;
      try {
        next = await send(client, "GET", location);
      } catch (error) {
        fail(`poll of ${location}: ${describe(error)}`);
        return "poll error";
      }
      const key = classify(next);
      if (key === "202 pending") {
        location = next.location ?? location;
        continue;
      }
      if (!EXPECTED.has(key)) {
        fail(`poll of ${location}: HTTP ${next.status} ${JSON.stringify(next.body).slice(0, 200)}`);
        return "poll error";
      }
      if (key === "202 started") noteStarted(next);
      return key;
    }
  };

  const one = async (i: number): Promise<void> => {
    const client = clients[i % connections];
    const sentAt = performance.now();
    try {
      const answer = await send(client, "POST", `/api/jobs/${encodeURIComponent(o.job)}/start`, o.body);
      const key = classify(answer);
      count(first, key);
      if (key === "202 started") noteStarted(answer);
      else if (!EXPECTED.has(key))
        fail(`HTTP ${answer.status}: ${JSON.stringify(answer.body).slice(0, 200)}`);
      let outcome = key;
      if (key === "202 pending") {
        const final = await resolvePending(client, answer, sentAt);
        count(resolved, final);
        if (!EXPECTED.has(final)) return;
        outcome = `pending→${final}`;
      }
      const now = performance.now();
      latencies[answered++] = now - sentAt;
      (byOutcome[outcome] ??= []).push(now - sentAt);
      lastAnswerAt = Math.max(lastAnswerAt, now);
    } catch (error) {
      count(first, "network error");
      fail(describe(error));
    }
  };

  const stormStart = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < o.requests; i++) inFlight.push(one(i));
  const sendMs = performance.now() - stormStart;
  await Promise.all(inFlight);
  const elapsedMs = (lastAnswerAt || performance.now()) - stormStart;
  const overflowsAfterStorm = listenOverflows();

  await Promise.all(clients.map((client) => client.destroy()));
  const sorted = latencies.subarray(0, answered).sort();
  const result: StormResult = {
    requests: o.requests,
    connections,
    pipelining,
    connect: {
      ms: connect.ms,
      waves: connect.waves,
      errors: connect.errors,
      ...(connect.firstError ? { firstError: connect.firstError } : {}),
    },
    listenOverflows: {
      ...defined("connect", delta(overflowsBefore, overflowsAfterConnect)),
      ...defined("storm", delta(overflowsAfterConnect, overflowsAfterStorm)),
    },
    elapsedMs,
    sendMs,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1] : NaN,
    latencyByOutcome: Object.fromEntries(
      Object.entries(byOutcome).map(([key, list]) => {
        const ms = Float64Array.from(list).sort();
        return [key, { count: ms.length, minMs: ms[0], p50Ms: percentile(ms, 50), maxMs: ms[ms.length - 1] }];
      }),
    ),
    first,
    resolved,
    polls,
    errors,
    startedInstanceIds: [...started].sort(),
  };
  if (fds.limit !== undefined) result.fdLimit = fds.limit;
  if (firstError !== undefined) result.firstError = firstError;
  return result;
}

function defined<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}

function describe(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === "string" ? `${e.code}: ` : "";
  return `${code}${typeof e?.message === "string" ? e.message : String(error)}`;
}
