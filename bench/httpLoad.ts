/**
 * HTTP load with autocannon: a fixed number of requests (`amount`) over a fixed number of keep-alive
 * connections (one request in flight per connection), each request's path chosen by its index.
 * Latencies come from autocannon's per-response timings (all status codes, sub-millisecond), the elapsed
 * time from the call to the last response (autocannon itself only notices the end on its next sample tick).
 */
import autocannon from "autocannon";
import { percentile, type PoolResult } from "./measure";

export interface HttpLoadOptions {
  baseUrl: string;
  requests: number;
  connections: number;
  method: "GET" | "POST";
  /** The path of the i-th request sent (0-based, across all connections). */
  path: (index: number) => string;
  body?: string;
}

export interface HttpLoadResult extends PoolResult {
  /** Responses below 500 by status code; 5xx responses count as errors. */
  outcomes: Record<string, number>;
}

export function httpLoad(o: HttpLoadOptions): Promise<HttpLoadResult> {
  const latencies = new Float64Array(o.requests);
  const outcomes: Record<string, number> = {};
  let sent = 0;
  let responses = 0;
  let errors = 0;
  let firstError: string | undefined;
  let lastResponseAt = 0;
  const fail = (message: string) => {
    errors++;
    firstError ??= message;
  };
  return new Promise<HttpLoadResult>((resolve, reject) => {
    const start = performance.now();
    const instance = autocannon(
      {
        url: o.baseUrl,
        amount: o.requests,
        connections: Math.min(o.connections, o.requests),
        pipelining: 1,
        timeout: 60,
        sampleInt: 10,
        method: o.method,
        ...(o.body === undefined ? {} : { headers: { "content-type": "application/json" }, body: o.body }),
        requests: [
          {
            setupRequest: (request) => {
              request.path = o.path(sent++);
              return request;
            },
            onResponse: (status, body) => {
              if (status >= 500) fail(`HTTP ${status}: ${body.slice(0, 200)}`);
              else outcomes[String(status)] = (outcomes[String(status)] ?? 0) + 1;
            },
          },
        ],
      },
      (error: unknown, result: autocannon.Result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        // Timeouts and connection errors arrive as reqError (each loses its request); anything else missing:
        if (responses + result.errors !== o.requests)
          fail(`${responses} responses to ${o.requests} requests`);
        const sorted = latencies.subarray(0, responses).sort();
        const out: HttpLoadResult = {
          ops: o.requests,
          elapsedMs: (lastResponseAt || performance.now()) - start,
          p50Ms: percentile(sorted, 50),
          p99Ms: percentile(sorted, 99),
          errors,
          outcomes,
        };
        if (firstError !== undefined) out.firstError = firstError;
        resolve(out);
      },
    );
    instance.on("response", (_client, _status, _bytes, responseTime) => {
      if (responses < latencies.length) latencies[responses] = responseTime;
      responses++;
      lastResponseAt = performance.now();
    });
    instance.on("reqError", (error: unknown) => fail((error as Error)?.message ?? String(error)));
  });
}
