/**
 * `startHost`: loads an app, starts its Durable engine, HTTP front end and timers, and hands tests the
 * controls they need (`waitForIdle`, `advanceTime`, `stop`).
 */
import type * as http from "node:http";
import { ActivityTracker } from "./activity";
import type { ModuleLoader } from "./moduleHook";
import { loadApp, type HostConfig } from "./appLoader";
import { describeUnsupported, unsupportedBindings } from "./bindingSupport";
import { Clock } from "./clock";
import type { DurableEngine, DurableEngineOptions, FunctionInvoker, LatencyOptions } from "./contracts";
import { createDurableEngine } from "./durable/engine";
import { MemoryStore } from "./durable/memoryStore";
import type { DurableStore } from "./durable/store";
import { describeFunctions, type FunctionInfo } from "./functionList";
import { isFunctionDisabled } from "./functionSettings";
import { deactivateRegistry, type LogLevel, type RpcHttpData } from "./functionsCore";
import {
  DURABLE_EXTENSION,
  extensionKey,
  isAuthorized,
  keysConfigured,
  KEYS_ENV,
  parseHostKeys,
  withExtensionKey,
  type HostKeys,
} from "./http/auth";
import { bodySizeLimitFrom } from "./http/requestBody";
import { httpRoutesOf, RouteTable } from "./http/routes";
import { rpcBaseUrlFor } from "./http/rpcChannel";
import { DevHttpServer, WEBHOOK_PATH } from "./http/server";
import { HttpStreamProxy } from "./http/streamProxy";
import { bindingValue } from "./http/webhookUrls";
import { RuntimeInvoker, type RuntimeLog } from "./invoker";
import { RunningInvocations } from "./runningInvocations";
import { TimerTriggers } from "./timerTriggers";
import { httpStreamUri, negotiateCapabilities } from "./workerCapabilities";

export type EngineFactory = (options: DurableEngineOptions) => DurableEngine;

export interface StartHostOptions {
  /** The app's root (package.json, host.json); default: the current directory, as `func start`. */
  appDir?: string;
  /** How the app's files are loaded (default: Node's loader, or what `setDefaultModuleLoader` set; see ./jest). */
  moduleLoader?: ModuleLoader;
  /** Default 7071; 0 picks a free port. */
  port?: number;
  /** Default "127.0.0.1". */
  hostname?: string;
  /** Shift the process-wide Date with the host clock so `advanceTime` moves everyone's "now". */
  virtualTime?: boolean;
  /**
   * With `virtualTime`: where the host clock (and `Date`) starts, in ms since the epoch; default: the real time.
   * Starting a host later than the previous one on the same store stopped stands for time that passed while no
   * host ran (monitored timer triggers then find the occurrences they missed).
   */
  startTime?: number;
  /**
   * Keys to enforce; default: from the DEVHOST_KEYS env var (JSON), else none (all anonymous). With keys, the
   * Durable management API under /runtime/webhooks/durabletask needs the `durabletask_extension` system key
   * (a random one when none is given; the binding's URLs carry it as `code=`) or the master key.
   */
  keys?: HostKeys;
  /**
   * The largest request body accepted, in bytes (413 beyond); default: the FUNCTIONS_REQUEST_BODY_SIZE_LIMIT
   * env var if it is a number, else 100 MB (104857600), as the Functions host.
   */
  maxRequestBodySize?: number;
  /** Where logs go; default: console for information and above. `false` silences the host. */
  log?: RuntimeLog | false;
  /** Log every invocation ("Executing '...'" / "Executed '...'") like `func start`; default false. */
  traceInvocations?: boolean;
  /** Builds the Durable engine; default: `createDurableEngine` from ./durable/engine. */
  createEngine?: EngineFactory;
  /**
   * A slow backend: every Durable message arrives after a seeded random delay in [minMs, maxMs] on the host
   * clock (`waitForIdle` waits for it, `advanceTime` brings it forward); default: no delay.
   */
  latency?: LatencyOptions;
  /**
   * How long `stop` lets in-flight work finish before it abandons it (and says so in the log); default
   * DEFAULT_SHUTDOWN_TIMEOUT_MS.
   */
  shutdownTimeoutMs?: number;
  /**
   * Where the Durable engine and the timer triggers' schedule monitor keep their state; default: a new
   * MemoryStore. Pass a `SqliteStore` (see `openDataDir`) to keep it across restarts. The host closes it when
   * it stops.
   */
  store?: DurableStore;
  /**
   * Serve `/admin/devhost/idle` (the CLI's `--test-hooks`): a request there is answered once the host is idle,
   * so a test driving a host in another process can wait for quiescence. Default false.
   */
  serveIdle?: boolean;
}

/** What `stop` allows in-flight work by default. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5_000;
/** The longest accepted shutdown bound: 10 minutes. */
export const MAX_SHUTDOWN_TIMEOUT_MS = 600_000;

export interface DevHost {
  baseUrl: string;
  port: number;
  functions: FunctionInfo[];
  clock: Clock;
  config: HostConfig;
  invoker: RuntimeInvoker;
  /** The node:http server (tests hand it connections from chosen remote addresses). */
  httpServer: http.Server;
  /** Resolves once no HTTP request or invocation is in flight, the engine is idle and no due timer waits. */
  waitForIdle(): Promise<void>;
  /** Moves the clock forward (firing due timers) and waits for the host to be idle again. */
  advanceTime(ms: number): Promise<void>;
  /**
   * Shuts down: takes no new work (function requests get a 503), lets in-flight requests and invocations
   * finish within `shutdownTimeoutMs` (then answers the requests left with a 503 and logs what it
   * abandoned), closes every connection and runs the appTerminate hooks. Calling it again returns the same
   * promise.
   */
  stop(): Promise<void>;
  /** Like `stop`, but abandons what is still in flight at once (the CLI's second Ctrl-C / SIGTERM). */
  stopNow(): Promise<void>;
}

const consoleLog: RuntimeLog = (level, message, functionName) => {
  if (level === "trace" || level === "debug" || level === "none") return;
  const text = functionName ? `[${functionName}] ${message}` : message;
  if (level === "error" || level === "critical") console.error(text);
  else if (level === "warning") console.warn(text);
  else console.log(text);
};

/** The WEBSITE_HOSTNAME value this process set (the durable client rewrites URLs to :7071 without one). */
let websiteHostnameWeSet: string | undefined;

function claimWebsiteHostname(hostAndPort: string): () => void {
  const current = process.env.WEBSITE_HOSTNAME;
  if (current && current !== websiteHostnameWeSet) return () => {};
  process.env.WEBSITE_HOSTNAME = hostAndPort;
  websiteHostnameWeSet = hostAndPort;
  return () => {
    if (process.env.WEBSITE_HOSTNAME === hostAndPort && websiteHostnameWeSet === hostAndPort) {
      delete process.env.WEBSITE_HOSTNAME;
      websiteHostnameWeSet = undefined;
    }
  };
}

function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function startHost(options: StartHostOptions = {}): Promise<DevHost> {
  const cleanups: (() => unknown)[] = [];
  try {
    return await startHostOrThrow(options, cleanups);
  } catch (err) {
    for (const cleanup of cleanups.reverse()) await cleanup();
    throw err;
  }
}

async function startHostOrThrow(options: StartHostOptions, cleanups: (() => unknown)[]): Promise<DevHost> {
  // Runs last: a host that fails to start still lets go of the store it was given (closing twice is fine).
  if (options.store) cleanups.push(() => options.store?.close());
  const log: RuntimeLog = options.log === false ? () => {} : (options.log ?? consoleLog);
  const givenKeys =
    options.keys ?? (process.env[KEYS_ENV] ? parseHostKeys(process.env[KEYS_ENV]) : undefined);
  const keys = keysConfigured(givenKeys) ? withExtensionKey(givenKeys, DURABLE_EXTENSION) : undefined;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  const problem = shutdownTimeoutProblem(shutdownTimeoutMs);
  if (problem) throw new Error(`Invalid shutdownTimeoutMs ${shutdownTimeoutMs}: ${problem}`);
  const hostname = options.hostname ?? "127.0.0.1";
  if (options.startTime !== undefined) {
    // Without a shifted Date the app would see another "now" than the host's clock.
    if (options.virtualTime !== true) throw new Error("startTime needs virtualTime: true");
    if (!Number.isFinite(options.startTime)) throw new Error(`Invalid startTime ${options.startTime}`);
  }
  const clock = new Clock({ shiftGlobalDate: options.virtualTime === true, startAt: options.startTime });
  cleanups.push(() => clock.dispose());
  const tracker = new ActivityTracker();
  let running = false;
  let origin = "";
  // Known once the server listens (the binding is built per invocation, after that).
  let rpcBaseUrl: string | undefined = undefined;

  const app = loadApp(options.appDir ?? process.cwd(), undefined, options.moduleLoader);
  const { registry, config } = app;
  cleanups.push(() => deactivateRegistry(registry));
  registry.log = (level: LogLevel, _category, message) => log(level, message);
  // Read once at startup, as the host reads app settings when it indexes the functions.
  const disabled = new Set(
    [...registry.functions.values()].map((f) => f.metadata.name).filter((name) => isFunctionDisabled(name)),
  );
  const invoker = new RuntimeInvoker(registry, {
    durableClientInput: (o) =>
      bindingValue(durableEngine.clientInput(o), { code: extensionKey(keys, DURABLE_EXTENSION), rpcBaseUrl }),
    origin: () => origin,
    log,
    track: (work) => tracker.track(work),
    traceInvocations: options.traceInvocations ?? false,
    isDisabled: (name) => disabled.has(name),
    isAdminRequest: (request) => !!keys && isAuthorized(keys, "admin", "", presentedKey(request)),
  });
  for (const line of describeUnsupported(unsupportedBindings(registry))) log("warning", line);
  const worker = await negotiateCapabilities(registry);
  cleanups.push(() => worker.close());
  const streamUri = httpStreamUri(worker.capabilities);
  const streaming = streamUri ? new HttpStreamProxy(streamUri, invoker, log) : undefined;
  if (streaming) cleanups.push(() => streaming.close());

  // Every invocation the engine and the timers make is named, so that a stop that gives up can say which.
  const invocations = new RunningInvocations();
  const engineInvoker: FunctionInvoker = {
    hasFunction: (name, type) => invoker.hasFunction(name, type),
    invoke: (name, type, value) => invocations.track(`${type} '${name}'`, invoker.invoke(name, type, value)),
  };
  const timerInvoker = {
    invokeTimer: (fn: Parameters<RuntimeInvoker["invokeTimer"]>[0], info: Record<string, unknown>) =>
      invocations.track(`timerTrigger '${fn.metadata.name}'`, invoker.invokeTimer(fn, info)),
  };

  const engineLog = (level: "information" | "warning" | "error", message: string): void =>
    log(level, message);
  const store = options.store ?? new MemoryStore();
  const durableEngine = (options.createEngine ?? createDurableEngine)({
    invoker: engineInvoker,
    clock,
    hubName: config.hubName,
    overridableExistingInstanceStates: config.overridableExistingInstanceStates,
    defaultVersion: config.defaultVersion,
    webhookPath: WEBHOOK_PATH,
    log: engineLog,
    latency: options.latency,
    store,
  });
  cleanups.push(() => durableEngine.stop());

  const routes = httpRoutesOf(registry);
  const enabledFunctions = [...registry.functions.values()].filter((f) => !disabled.has(f.metadata.name));
  const timers = new TimerTriggers(enabledFunctions, clock, timerInvoker, log, store);
  const server = new DevHttpServer({
    routes: new RouteTable(routes, config.routePrefix),
    invoker,
    engine: durableEngine,
    tracker,
    keys,
    log,
    isRunning: () => running,
    maxRequestBodySize: options.maxRequestBodySize ?? bodySizeLimitFrom(process.env),
    streaming,
    waitForIdle: options.serveIdle ? () => waitForIdle() : undefined,
  });

  const address = await server.listen(options.port ?? 7071, hostname);
  const port = address.port;
  cleanups.push(() => server.close());
  origin = `http://${hostname}:${port}`;
  rpcBaseUrl = rpcBaseUrlFor(address.address, port);
  const releaseHostname = claimWebsiteHostname(`${hostname}:${port}`);
  cleanups.push(releaseHostname);

  for (const hook of registry.hooksFor("appStart")) {
    await hook({
      hookData: registry.appHookData,
      appHookData: registry.appHookData,
      functionAppDirectory: app.appDir,
    });
  }
  durableEngine.resume?.();
  timers.start();
  cleanups.push(() => timers.stop());
  running = true;

  const settled = (): boolean => {
    const due = clock.nextDue();
    return tracker.isIdle() && durableEngine.isIdle() && (due === undefined || due > clock.now());
  };

  const waitForIdle = async (): Promise<void> => {
    // Idle must hold across a macrotask twice in a row: work often hands off through timers and I/O.
    let stableRounds = 0;
    while (stableRounds < 2) {
      const due = clock.nextDue();
      if (due !== undefined && due <= clock.now()) clock.advance(0);
      await tracker.whenIdle();
      await durableEngine.whenIdle();
      await timers.whenSettled();
      await nextMacrotask();
      stableRounds = settled() ? stableRounds + 1 : 0;
    }
  };

  let stopped: Promise<void> | undefined;
  /** Ends the grace period at once (set while `stop` waits for in-flight work). */
  let endGrace: (() => void) | undefined;
  let abandoned = false;

  /** Answers the requests still in flight with a 503 and logs what is left running. */
  const abandon = (why: string, detail: string): void => {
    if (abandoned) return;
    abandoned = true;
    const left = [...server.requestsInFlight(), ...invocations.list()];
    if (left.length > 0) log("warning", `${why}; abandoned what was still running: ${left.join(", ")}`);
    server.abandonRequests(detail);
  };

  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      log("information", "Stopping host...");
      running = false;
      server.beginStopping();
      timers.stop();
      // The engine runs on while requests or timer invocations are in flight (a starter waits on its
      // entity's decision); then it starts no new work item and the running ones finish.
      let engineStopping: Promise<void> | undefined;
      const drained = Promise.all([server.whenRequestsDone(), timers.whenSettled()]).then(
        () => (engineStopping = durableEngine.stop()),
      );
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolve) => {
        endGrace = resolve;
        timer = setTimeout(resolve, shutdownTimeoutMs);
      });
      const inTime = await Promise.race([drained.then(() => true), graceOver.then(() => false)]);
      clearTimeout(timer);
      endGrace = undefined;
      if (!inTime) {
        abandon(
          `Host did not shut down within ${shutdownTimeoutMs} ms`,
          `The host stopped before this request finished (shutdown bound: ${shutdownTimeoutMs} ms).`,
        );
        engineStopping ??= durableEngine.stop();
      }
      await server.close();
      streaming?.close();
      await worker.close();
      for (const hook of registry.hooksFor("appTerminate")) {
        await hook({ hookData: registry.appHookData, appHookData: registry.appHookData });
      }
      clock.dispose();
      releaseHostname();
      deactivateRegistry(registry);
      log("information", "Host shutdown completed.");
    })();
    return stopped;
  };

  const stopNow = (): Promise<void> => {
    const stopping = stop();
    abandon("Stopping at once", "The host stopped at once before this request finished.");
    endGrace?.();
    return stopping;
  };

  return {
    baseUrl: origin,
    port,
    functions: describeFunctions(registry, routes, disabled),
    clock,
    config,
    invoker,
    httpServer: server.server,
    waitForIdle,
    advanceTime: async (ms: number) => {
      clock.advance(ms);
      await waitForIdle();
    },
    stop,
    stopNow,
  };
}

/** The key a request presents: the `x-functions-key` header, else the `code` query parameter (as the host reads). */
function presentedKey(request: RpcHttpData): string | undefined {
  return (
    request.nullableHeaders?.["x-functions-key"]?.value ?? request.nullableQuery?.code?.value ?? undefined
  );
}

/** Why `ms` is not an acceptable shutdown bound, or undefined when it is. */
export function shutdownTimeoutProblem(ms: number): string | undefined {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_SHUTDOWN_TIMEOUT_MS)
    return `the bound must be whole milliseconds from 0 to ${MAX_SHUTDOWN_TIMEOUT_MS}`;
  return undefined;
}
