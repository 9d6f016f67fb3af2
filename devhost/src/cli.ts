#!/usr/bin/env node
/**
 * `durable-devhost [--app DIR] [--port N] [--data DIR | --memory] [--reset] [--synchronous normal|full]
 * [--keys JSON] [--latency MIN-MAX] [--latency-seed N] [--shutdown-timeout MS] [--test-hooks] [--verbose]
 * [--quiet]`
 * A local stand-in for `func start`: serves the app's functions and the Durable management API. Durable state
 * (instances, entities, messages, timers, timer schedules) lives in SQLite under `.devhost/` in the app, or
 * `--data DIR`, and survives restarts; `--memory` keeps it in memory only; `--reset` wipes the data first.
 * `--latency` makes it a slow backend: every Durable message arrives MIN..MAX ms late (see durable/latency.ts).
 * Ctrl-C / SIGTERM stops it (in-flight work gets `--shutdown-timeout` ms, default 5000); a second one exits
 * at once.
 */
import * as path from "node:path";
import type { LatencyOptions } from "./contracts";
import { DEFAULT_DATA_DIR, openDataDir } from "./dataDir";
import { MemoryStore } from "./durable/memoryStore";
import type { SqliteSynchronous } from "./durable/sqliteStore";
import type { DurableStore } from "./durable/store";
import { DEFAULT_LATENCY_SEED, latencyProblem } from "./durable/latency";
import { formatFunctionList } from "./functionList";
import { parseHostKeys, type HostKeys } from "./http/auth";
import { shutdownTimeoutProblem, startHost, type DevHost } from "./host";
import type { RuntimeLog } from "./invoker";

export interface CliOptions {
  appDir: string;
  port: number;
  keys?: HostKeys;
  verbose: boolean;
  /** Leave out the per-invocation "Executing/Executed" lines. */
  quiet: boolean;
  /** Delay every Durable message (`--latency`, `--latency-seed`); the seed is always set. */
  latency?: Required<LatencyOptions>;
  /** How long a stop lets in-flight work finish (`--shutdown-timeout`); default: the host's. */
  shutdownTimeoutMs?: number;
  /** Where the SQLite store lives (`--data`), or "memory" (`--memory`); default: `.devhost` in the app. */
  data?: string | "memory";
  /** Wipe the data directory before starting (`--reset`). */
  reset: boolean;
  /** SQLite's `synchronous` setting (`--synchronous`); default "normal". */
  synchronous?: SqliteSynchronous;
  /** Serve `/admin/devhost/idle` for tests in another process (`--test-hooks`). */
  testHooks?: boolean;
}

const USAGE =
  "usage: cli.js [--app DIR] [--port N] [--data DIR | --memory] [--reset] [--synchronous normal|full] [--keys JSON] [--latency MIN-MAX] [--latency-seed N] [--shutdown-timeout MS] [--test-hooks] [--verbose] [--quiet]";

/** `--latency MIN-MAX` or `--latency N` (N-N), whole milliseconds. */
export function parseLatency(text: string): { minMs: number; maxMs: number } {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  const latency = match ? { minMs: Number(match[1]), maxMs: Number(match[2] ?? match[1]) } : undefined;
  const problem = latency ? latencyProblem(latency) : "expected MIN-MAX or N, in whole milliseconds";
  if (!latency || problem) throw new Error(`Invalid --latency "${text}": ${problem}\n${USAGE}`);
  return latency;
}

export function parseLatencySeed(text: string): number {
  const seed = /^\d+$/.test(text) ? Number(text) : NaN;
  const problem = latencyProblem({ minMs: 0, maxMs: 0, seed });
  if (problem) throw new Error(`Invalid --latency-seed "${text}": ${problem}\n${USAGE}`);
  return seed;
}

/** The line the CLI prints when latency is on. */
export function describeLatency(latency: Required<LatencyOptions>): string {
  return `Durable message latency: ${latency.minMs}-${latency.maxMs} ms (seed ${latency.seed})`;
}

export function parseCliArgs(argv: string[]): CliOptions {
  // Like `func start`: the app is the current directory unless --app names another.
  const options: CliOptions = {
    appDir: process.cwd(),
    port: 7071,
    verbose: false,
    quiet: false,
    reset: false,
  };
  let latency: { minMs: number; maxMs: number } | undefined;
  let seed: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    switch (arg) {
      case "--app":
        options.appDir = value();
        break;
      case "--port": {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port\n${USAGE}`);
        options.port = port;
        break;
      }
      case "--memory":
        if (options.data !== undefined && options.data !== "memory")
          throw new Error(`--memory and --data exclude each other\n${USAGE}`);
        options.data = "memory";
        break;
      case "--data": {
        const dir = value();
        if (options.data === "memory") throw new Error(`--memory and --data exclude each other\n${USAGE}`);
        options.data = dir;
        break;
      }
      case "--test-hooks":
        options.testHooks = true;
        break;
      case "--reset":
        options.reset = true;
        break;
      case "--synchronous": {
        const mode = value().toLowerCase();
        if (mode !== "normal" && mode !== "full")
          throw new Error(`Invalid --synchronous "${mode}": expected normal or full\n${USAGE}`);
        options.synchronous = mode;
        break;
      }
      case "--keys":
        options.keys = parseHostKeys(value());
        break;
      case "--latency":
        latency = parseLatency(value());
        break;
      case "--latency-seed":
        seed = parseLatencySeed(value());
        break;
      case "--shutdown-timeout": {
        const text = value();
        const ms = /^\d+$/.test(text) ? Number(text) : NaN;
        const problem = shutdownTimeoutProblem(ms);
        if (problem) throw new Error(`Invalid --shutdown-timeout "${text}": ${problem}\n${USAGE}`);
        options.shutdownTimeoutMs = ms;
        break;
      }
      case "--verbose":
        options.verbose = true;
        break;
      case "--quiet":
        options.quiet = true;
        break;
      case "--help":
      case "-h":
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`Unknown argument "${arg}"\n${USAGE}`);
    }
  }
  if (seed !== undefined && !latency) throw new Error(`--latency-seed needs --latency\n${USAGE}`);
  if (options.data === "memory" && (options.reset || options.synchronous))
    throw new Error(`--reset and --synchronous apply to a data directory, not --memory\n${USAGE}`);
  if (latency) options.latency = { ...latency, seed: seed ?? DEFAULT_LATENCY_SEED };
  return options;
}

async function main(): Promise<void> {
  const options = parseCliArgs(process.argv.slice(2));
  const log: RuntimeLog = (level, message, functionName) => {
    if (!options.verbose && (level === "trace" || level === "debug")) return;
    // func start's format: "[timestamp] message", for the host's own lines and the functions' logs alike.
    const text = functionName ? `[${new Date().toISOString()}] ${message}` : message;
    if (level === "error" || level === "critical" || level === "warning") console.error(text);
    else console.log(text);
  };
  const store = openStore(options);
  const host = await startHost({
    store: store.store,
    serveIdle: options.testHooks === true,
    appDir: options.appDir,
    port: options.port,
    keys: options.keys,
    log,
    traceInvocations: !options.quiet,
    latency: options.latency,
    shutdownTimeoutMs: options.shutdownTimeoutMs,
  });
  // Before "Host started": whoever waits for that line may signal at once.
  handleStopSignals(host);
  process.stdout.write(
    "\n" +
      formatFunctionList(host.functions, `http://localhost:${host.port}`, host.config.routePrefix) +
      "\n",
  );
  console.log(store.description);
  if (options.latency) console.log(describeLatency(options.latency));
  console.log("Host started");
}

/** The store the options ask for, and the line that tells the user where their data is. */
export function openStore(options: CliOptions): { store: DurableStore; description: string } {
  if (options.data === "memory") {
    return { store: new MemoryStore(), description: "Durable store: in memory (lost when the host stops)" };
  }
  const dir = path.resolve(options.appDir, options.data ?? DEFAULT_DATA_DIR);
  const store = openDataDir(dir, { reset: options.reset, synchronous: options.synchronous });
  const sync = options.synchronous ?? "normal";
  return {
    store,
    description:
      `Durable store: SQLite in ${dir} (synchronous=${sync}${options.reset ? ", reset" : ""}; ` +
      `--reset wipes it, --memory keeps nothing)`,
  };
}

/** Exit codes of a process ended by a signal (128 + its number), used when a second signal cuts a stop short. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * The first SIGINT / SIGTERM stops the host cleanly (exit code 0); a second one while it stops abandons what
 * is still in flight (in-flight requests are still answered, 503) and exits at once, like a console host
 * whose second Ctrl-C ends it.
 */
function handleStopSignals(host: DevHost): void {
  let stopping = false;
  let exitCode = 0;
  const onSignal = (signal: keyof typeof SIGNAL_EXIT_CODES): void => {
    if (stopping) {
      console.error(`${signal} while stopping: exiting at once`);
      exitCode = SIGNAL_EXIT_CODES[signal];
      void host.stopNow();
      // The 503 answers are written on the next ticks; exit right after them.
      setImmediate(() => process.exit(exitCode));
      return;
    }
    stopping = true;
    host.stop().then(
      () => process.exit(exitCode),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      // The same advice `func start` gives.
      const port = (err as { port?: number }).port;
      console.error(
        `Port ${port} is unavailable. Close the process using that port, or specify another port using --port.`,
      );
    } else {
      console.error(err instanceof Error ? err.message : err);
    }
    process.exit(1);
  });
}
