#!/usr/bin/env node
/**
 * `node dist/devhost/cli.js [--app DIR] [--port N] [--memory] [--keys JSON] [--verbose] [--quiet]`
 * A local stand-in for `func start`: serves the app's functions and the Durable management API.
 */
import { formatFunctionList } from "./functionList";
import { parseHostKeys, type HostKeys } from "./http/auth";
import { defaultAppDir, startHost } from "./host";
import type { RuntimeLog } from "./invoker";

export interface CliOptions {
  appDir: string;
  port: number;
  keys?: HostKeys;
  verbose: boolean;
  /** Leave out the per-invocation "Executing/Executed" lines. */
  quiet: boolean;
}

const USAGE = "usage: cli.js [--app DIR] [--port N] [--memory] [--keys JSON] [--verbose] [--quiet]";

export function parseCliArgs(argv: string[]): CliOptions {
  const options: CliOptions = { appDir: defaultAppDir(), port: 7071, verbose: false, quiet: false };
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
        // The in-memory store is the only (and default) one for now.
        break;
      case "--keys":
        options.keys = parseHostKeys(value());
        break;
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
  const host = await startHost({
    appDir: options.appDir,
    port: options.port,
    keys: options.keys,
    log,
    traceInvocations: !options.quiet,
  });
  process.stdout.write(
    "\n" +
      formatFunctionList(host.functions, `http://localhost:${host.port}`, host.config.routePrefix) +
      "\n",
  );
  console.log("Host started");

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    host.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
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
