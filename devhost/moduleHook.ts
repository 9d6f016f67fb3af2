/**
 * Makes `require("@azure/functions-core")` resolve to the devhost's shim, and loads app files fresh.
 *
 * Two module systems may be in play:
 * - plain Node (the CLI): intercept `Module._load` like the worker does, and drop the app's own files from
 *   `require.cache` before a reload so module-level state starts over with each host;
 * - jest: modules go through jest's registry, which neither sees `Module._load` nor allows deleting from
 *   `require.cache`. There the shim is registered as a virtual jest mock and each load runs in
 *   `jest.isolateModules`, so the app, `@azure/functions` and `durable-functions` are all fresh per host.
 *   (A test that imports an app module itself gets a different instance than the host's.)
 */
import Module from "node:module";
import * as path from "node:path";
import { functionsCoreApi } from "./functionsCore";

const CORE_MODULE = "@azure/functions-core";

type ModuleLoad = (request: string, parent: unknown, isMain: boolean) => unknown;
const nodeModule = Module as unknown as { _load: ModuleLoad };

let nodeHookInstalled = false;

function installNodeHook(): void {
  if (nodeHookInstalled) return;
  const original = nodeModule._load;
  nodeModule._load = function (request: string, parent: unknown, isMain: boolean): unknown {
    if (request === CORE_MODULE) return functionsCoreApi;
    return original.call(this, request, parent, isMain);
  };
  nodeHookInstalled = true;
}

function runningInJest(): boolean {
  return typeof jest !== "undefined" && typeof jest.isolateModules === "function";
}

/** Files (absolute paths) this module system loaded for earlier app loads, to purge on the next one. */
const appOwnedModules = new Set<string>();

/**
 * Requires `files` so that their registrations run again even if an earlier host loaded them.
 * `devhostDir` (the devhost's own sources) is never purged.
 */
export function requireAppFiles(files: string[], appDir: string): void {
  if (runningInJest()) {
    jest.mock(CORE_MODULE, () => functionsCoreApi, { virtual: true });
    jest.isolateModules(() => {
      for (const file of files) requireEntryFile(file, appDir);
    });
    return;
  }
  installNodeHook();
  for (const key of appOwnedModules) delete require.cache[key];
  appOwnedModules.clear();
  const before = new Set(Object.keys(require.cache));
  try {
    for (const file of files) requireEntryFile(file, appDir);
  } finally {
    for (const key of Object.keys(require.cache)) {
      if (!before.has(key) && isAppOwned(key, appDir)) appOwnedModules.add(key);
    }
  }
}

/**
 * Requires one entry file; a file that fails to parse or throws while loading is reported by name, as the Node
 * worker does (`Worker was unable to load entry point "<file>": <message>`, nodejs-worker `src/startApp.ts`),
 * with where the error arose. The original error stays as `cause`.
 */
function requireEntryFile(file: string, appDir: string): void {
  try {
    // Entry files are only known at run time, so they can only be loaded with require().
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(file);
  } catch (err) {
    const name = path.relative(appDir, file).split(path.sep).join("/");
    const message = err instanceof Error ? err.message : String(err);
    const at = errorLocation(err);
    throw new Error(`Worker was unable to load entry point "${name}": ${message}${at ? ` (at ${at})` : ""}`, {
      cause: err,
    });
  }
}

/** Where an error arose: a SyntaxError's stack starts with "file:line"; others have "at ... (file:line:col)". */
function errorLocation(err: unknown): string | undefined {
  const stack = err instanceof Error ? err.stack : undefined;
  if (!stack) return undefined;
  const first = stack.split("\n", 1)[0];
  if (err instanceof SyntaxError && /:\d+$/.test(first)) return first;
  return /\(([^()]+:\d+:\d+)\)/.exec(stack)?.[1] ?? /at (\/[^\s]+:\d+:\d+)/.exec(stack)?.[1];
}

function isAppOwned(file: string, appDir: string): boolean {
  const rel = path.relative(appDir, file);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return false;
  if (rel.split(path.sep).includes("node_modules")) return false;
  return !file.startsWith(__dirname + path.sep);
}
