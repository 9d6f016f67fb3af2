/**
 * Fuzz: 5,000 hostile requests over every route of this app on the devhost (its /api routes and the
 * Durable management API on both mounts; see hostileRequestGen.ts), 8 at a time, with keys configured.
 * Asserts: no 5xx and no connection dropped unanswered, no answer slower than 2 s, nothing created by a
 * refused (4xx) request (no instance, registry entry or addressed entity carries its token), and the host's
 * memory stays within 200 MB of where it started. Replay a run with FUZZ_SEED=<seed> (printed on failure).
 */
import fc from "fast-check";
import * as http from "node:http";
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
// A URL-normalisation helper of the devhost, used here to predict which entity a request addresses.
import { decodeUnreserved } from "durable-functions-devhost/dist/http/requestTarget";
import { REPO_ROOT, startAppHost } from "./appHost";
import { hostileRequest, TOKEN, type EntityRef, type HostileRequest, type Keys } from "./hostileRequestGen";

const RUNS = 5_000;
const CONCURRENCY = 8;
const SLOW_MS = 2_000;
const MEMORY_BUDGET = 200 * 1024 * 1024;
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const KEYS: Keys = { master: "fuzz-master", host: "fuzz-host", system: "fuzz-system" };

interface Outcome {
  index: number;
  request: HostileRequest;
  status?: number;
  error?: string;
  ms: number;
  body: string;
}

const tokenOf = (index: number): string => `fz${index}x`;

/**
 * A full garbage collection. Garbage V8 has not collected yet is not memory the host holds, and how much of
 * it V8 lets pile up depends on the machine's load; collecting every few hundred requests keeps the memory
 * samples about what the host retains (a host that buffered bodies or leaked per request still grows).
 */
function fullGc(): void {
  setFlagsFromString("--expose_gc");
  (runInNewContext("gc") as () => void)();
}

function materialize(request: HostileRequest, index: number, hostHeader: string): HostileRequest {
  // The placeholder, raw or as JSON.stringify escaped it in a body.
  const fill = (s: string): string =>
    s.split(TOKEN).join(tokenOf(index)).split("\\u0001").join(tokenOf(index));
  return {
    ...request,
    target: fill(request.target),
    headers: request.headers.map(([n, v]) => [n, n === "host" && v === "listening" ? hostHeader : fill(v)]),
    body: request.body && Buffer.from(fill(request.body.toString("latin1")), "latin1"),
  };
}

function send(agent: http.Agent, port: number, request: HostileRequest, index: number): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: Omit<Outcome, "index" | "request" | "ms">): void => {
      if (settled) return;
      settled = true;
      resolve({ index, request, ms: performance.now() - started, ...outcome });
    };
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of request.headers) {
      const existing = headers[name];
      headers[name] = existing === undefined ? value : [...[existing].flat(), value];
    }
    // Framed explicitly: Node's client sends a GET/DELETE/HEAD body without Content-Length otherwise.
    if (request.body && request.chunked) headers["transfer-encoding"] = "chunked";
    else if (request.body) headers["content-length"] = String(request.declaredLength ?? request.body.length);
    let req: http.ClientRequest;
    try {
      req = http.request({
        host: "127.0.0.1",
        port,
        method: request.method,
        path: request.target,
        headers,
        setHost: false,
        agent,
      });
    } catch (err) {
      // A request Node's client refuses to send is a generator bug, not a host failure.
      throw new Error(`cannot send ${JSON.stringify(request.target)}: ${(err as Error).message}`);
    }
    req.setTimeout(10_000, () => req.destroy(new Error("no answer within 10 s")));
    req.on("error", (err) => done({ error: err.message, body: "" }));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (d: Buffer) => {
        if (size < 4096) chunks.push(d);
        size += d.length;
      });
      res.on("error", (err) => done({ error: err.message, body: "" }));
      res.on("end", () =>
        done({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8").slice(0, 400) }),
      );
    });
    if (request.body && request.chunked) {
      const half = Math.floor(request.body.length / 2);
      req.write(request.body.subarray(0, half));
      req.end(request.body.subarray(half));
    } else req.end(request.body);
  });
}

/** The entity a request addressed, as the host decodes the path (undefined when it cannot be addressed). */
function addressedEntity(ref: EntityRef, index: number): { name: string; key: string } | undefined {
  const decode = (raw: string): string | undefined => {
    const segment = decodeUnreserved(raw.split(TOKEN).join(tokenOf(index)));
    if (segment === "" || segment === "." || segment === "..") return undefined;
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment; // as the route template leaves it
    }
  };
  const name = typeof ref.name === "string" ? ref.name : decode(ref.segments[ref.name.segment]);
  const key = decode(ref.segments[ref.keySegment]);
  return name === undefined || key === undefined ? undefined : { name, key };
}

/**
 * The 5xx answers allowed, both from the management API and saying so: 501 for a route the extension has and
 * the devhost does not implement, and the 500 HttpApiHandler's catch-all answers on the real host (e.g.
 * rewinding an instance that has not failed).
 */
function notImplemented(o: Outcome): boolean {
  if (o.status === 501) return o.body.includes("The devhost Durable engine does not implement");
  return (
    o.status === 500 && o.body.includes('"Message":"Something went wrong while processing your request"')
  );
}

function describe(o: Outcome): string {
  const r = o.request;
  return JSON.stringify({
    index: o.index,
    method: r.method,
    target: r.target.slice(0, 300),
    headers: r.headers.map(([n, v]) => [n, v.slice(0, 80)]),
    body: r.body ? `${r.body.length} bytes: ${r.body.toString("latin1").slice(0, 120)}` : undefined,
    chunked: r.chunked,
    status: o.status,
    error: o.error,
    ms: Math.round(o.ms),
    answer: o.body.slice(0, 200),
  });
}

test(`${RUNS} hostile requests: no 5xx, none slower than ${SLOW_MS} ms, no state from a refusal, bounded memory`, async () => {
  const host = await startAppHost({
    appDir: REPO_ROOT,
    port: 0,
    virtualTime: true,
    log: false,
    keys: { master: KEYS.master, host: [KEYS.host], system: { durabletask_extension: [KEYS.system] } },
    maxRequestBodySize: 1024 * 1024,
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const failures: string[] = [];
  try {
    const requests = fc
      .sample(hostileRequest(KEYS), { seed: SEED, numRuns: RUNS })
      .map((r, i) => materialize(r, i, `127.0.0.1:${host.port}`));

    fullGc();
    const memoryAtStart = process.memoryUsage().rss;
    let memoryPeak = memoryAtStart;
    const outcomes: Outcome[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const index = next++;
        outcomes.push(await send(agent, host.port, requests[index], index));
        if (index % 500 === 499) fullGc();
        if (index % 100 === 0) memoryPeak = Math.max(memoryPeak, process.memoryUsage().rss);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await host.waitForIdle();
    memoryPeak = Math.max(memoryPeak, process.memoryUsage().rss);

    for (const o of outcomes) {
      if (o.error !== undefined) failures.push(`no answer: ${describe(o)}`);
      else if ((o.status ?? 0) >= 500 && !notImplemented(o)) failures.push(`5xx: ${describe(o)}`);
      if (o.ms > SLOW_MS) failures.push(`slow: ${describe(o)}`);
    }
    if (memoryPeak - memoryAtStart > MEMORY_BUDGET) {
      failures.push(`memory grew by ${Math.round((memoryPeak - memoryAtStart) / 2 ** 20)} MB`);
    }

    // Nothing a refusal addressed may exist: read through the loopback channel (no key needed).
    const rpc = `${host.baseUrl}/durabletask`;
    const refused = outcomes.filter((o) => o.status !== undefined && o.status >= 400 && o.status < 500);
    const refusedTokens = new Set(refused.map((o) => tokenOf(o.index)));
    const tokensIn = (text: string): string[] => [...text.matchAll(/fz\d+x/g)].map((m) => m[0]);
    const instances = await (await fetch(`${rpc}/instances?top=1000000&showInput=false`)).text();
    const jobs = await (await fetch(`${host.baseUrl}/api/jobs?code=${KEYS.host}`)).text();
    const createdByRefusal = new Set(
      [...tokensIn(instances), ...tokensIn(jobs)].filter((t) => refusedTokens.has(t)),
    );
    for (const o of refused) {
      if (createdByRefusal.has(tokenOf(o.index))) failures.push(`state from a refusal: ${describe(o)}`);
      const entity = o.request.entity && addressedEntity(o.request.entity, o.index);
      if (!entity) continue;
      const res = await fetch(
        `${rpc}/entities/${encodeURIComponent(entity.name)}/${encodeURIComponent(entity.key)}`,
      );
      await res.arrayBuffer();
      if (res.status !== 404)
        failures.push(`entity ${entity.name}/${entity.key} exists after a refusal: ${describe(o)}`);
    }

    // The statuses seen, so a run that refused everything (and so tested little) shows.
    const byStatus = new Map<string, number>();
    for (const o of outcomes)
      byStatus.set(String(o.status ?? o.error), (byStatus.get(String(o.status ?? o.error)) ?? 0) + 1);
    const accepted = outcomes.filter((o) => o.status !== undefined && o.status < 300).length;
    if (accepted < RUNS / 10)
      failures.push(`only ${accepted} requests were served: ${JSON.stringify([...byStatus])}`);

    // And the host still works.
    const alive = await fetch(`${host.baseUrl}/api/jobs/after-the-fuzz/start?code=${KEYS.host}`, {
      method: "POST",
      body: JSON.stringify({ orchestrator: "reportJob" }),
    });
    if (alive.status !== 202) failures.push(`a plain start after the fuzz answered ${alive.status}`);
  } finally {
    agent.destroy();
    await host.stop();
  }
  if (failures.length > 0) {
    throw new Error(
      `FUZZ_SEED=${SEED}: ${failures.length} failures (replay with FUZZ_SEED=${SEED})\n${failures.slice(0, 20).join("\n")}`,
    );
  }
});
