/**
 * Loads an app's files fresh for each host and makes `require("@azure/functions-core")` resolve to the
 * devhost's shim. By default it loads them the way the Node worker does: with Node's own module system,
 * reached through `process.getBuiltinModule` so that it is Node's even when this file runs under a test
 * runner that gives it a `require` of its own. Everything an app load brought into Node's cache (its own files
 * and the packages they pulled in, such as `@azure/functions` and `durable-functions`, whose module-level
 * state registers with the worker) is dropped before the next load, so every host starts from scratch.
 */
import NodeModuleForTypes from "node:module";
import * as path from "node:path";
import { functionsCoreApi } from "./functionsCore";

const CORE_MODULE = "@azure/functions-core";

type ModuleLoad = (request: string, parent: unknown, isMain: boolean) => unknown;
type NodeModuleSystem = typeof NodeModuleForTypes & { _load: ModuleLoad };

/** Node's module system itself (not a test runner's stand-in for it). */
const nodeModules = (process.getBuiltinModule?.("node:module") ?? NodeModuleForTypes) as NodeModuleSystem;

let hookInstalled = false;

function installCoreModuleHook(): void {
  if (hookInstalled) return;
  const original = nodeModules._load;
  nodeModules._load = function (request: string, parent: unknown, isMain: boolean): unknown {
    if (request === CORE_MODULE) return functionsCoreApi;
    return original.call(this, request, parent, isMain);
  };
  hookInstalled = true;
}

/**
 * Loads an app's entry files so that their registrations run (again) for a new host. `coreApi` is what
 * `require("@azure/functions-core")` must return to the app's `@azure/functions`. The default loads with Node's
 * own loader; a test runner with a module registry of its own (jest) can load into that registry instead
 * (see ./jest.ts), so the app shares the test's modules and `process.env`.
 */
export type ModuleLoader = (files: string[], appDir: string, coreApi: object) => void;

/** Cache keys an earlier app load added (its files and the packages they loaded), dropped before the next one. */
const loadedByApps = new Set<string>();

/** Node's loader: every host gets fresh instances of the app and of the packages it loads. */
export const nodeModuleLoader: ModuleLoader = (files, appDir) => {
  installCoreModuleHook();
  const nodeRequire = nodeModules.createRequire(path.join(appDir, "package.json"));
  for (const key of loadedByApps) delete nodeRequire.cache[key];
  loadedByApps.clear();
  const before = new Set(Object.keys(nodeRequire.cache));
  try {
    for (const file of files) requireEntryFile(nodeRequire, file, appDir);
  } finally {
    for (const key of Object.keys(nodeRequire.cache)) {
      // Native addons cannot be loaded twice into one process: they stay.
      if (!before.has(key) && !key.endsWith(".node")) loadedByApps.add(key);
    }
  }
};

let defaultLoader: ModuleLoader = nodeModuleLoader;

/** Sets the loader hosts use when `startHost` names none (a test framework's setup file calls this). */
export function setDefaultModuleLoader(loader: ModuleLoader): void {
  defaultLoader = loader;
}

/** Requires `files` with `loader` (default: the one set by setDefaultModuleLoader, else Node's). */
export function requireAppFiles(files: string[], appDir: string, loader: ModuleLoader = defaultLoader): void {
  loader(files, appDir, functionsCoreApi);
}

/**
 * Requires one entry file; a file that fails to parse or throws while loading is reported by name, as the Node
 * worker does (`Worker was unable to load entry point "<file>": <message>`, nodejs-worker `src/startApp.ts`),
 * with where the error arose. The original error stays as `cause`.
 */
export function requireEntryFile(load: (file: string) => unknown, file: string, appDir: string): void {
  try {
    load(file);
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
