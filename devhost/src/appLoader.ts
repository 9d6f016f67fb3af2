/**
 * Loads a Functions app the way `func start` does: settings from local.settings.json, host.json
 * configuration, then the entry files named by package.json `main` (a glob is allowed).
 */
import fg from "fast-glob";
import * as fs from "node:fs";
import * as path from "node:path";
import { activateRegistry, deactivateRegistry, FunctionRegistry } from "./functionsCore";
import { requireAppFiles, type ModuleLoader } from "./moduleHook";

export interface HostConfig {
  routePrefix: string;
  hubName: string;
  overridableExistingInstanceStates?: "AnyState" | "NonRunningStates";
  /** extensions.durableTask.defaultVersion: the version new orchestrations get when none is given. */
  defaultVersion?: string;
}

export interface LoadedApp {
  appDir: string;
  config: HostConfig;
  entryFiles: string[];
  registry: FunctionRegistry;
}

function readJson(file: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`Could not parse ${file}: ${(err as Error).message}`);
  }
}

function objectAt(value: unknown, ...keys: string[]): Record<string, unknown> | undefined {
  let current = value;
  for (const key of keys) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === "object" && current !== null ? (current as Record<string, unknown>) : undefined;
}

export function readHostConfig(appDir: string): HostConfig {
  const hostJson = readJson(path.join(appDir, "host.json")) ?? {};
  const http = objectAt(hostJson, "extensions", "http") ?? {};
  const durable = objectAt(hostJson, "extensions", "durableTask") ?? {};
  const routePrefix = typeof http.routePrefix === "string" ? http.routePrefix : "api";
  const hubName = typeof durable.hubName === "string" && durable.hubName ? durable.hubName : "TestHubName";
  const states = durable.overridableExistingInstanceStates;
  const defaultVersion = typeof durable.defaultVersion === "string" ? durable.defaultVersion : undefined;
  return {
    routePrefix: routePrefix.replace(/^\/+|\/+$/g, ""),
    hubName: resolveAppSettingRefs(hubName),
    overridableExistingInstanceStates:
      states === "AnyState" || states === "NonRunningStates" ? states : undefined,
    ...(defaultVersion ? { defaultVersion: resolveAppSettingRefs(defaultVersion) } : {}),
  };
}

/** Copies local.settings.json `Values` into process.env without overriding values already set. */
export function applyLocalSettings(appDir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const settings = readJson(path.join(appDir, "local.settings.json"));
  const values = objectAt(settings, "Values") ?? {};
  const applied: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (env[key] !== undefined || value === undefined || value === null) continue;
    env[key] = String(value);
    applied.push(key);
  }
  return applied;
}

/** Expands `%NAME%` app-setting references (as host.json and trigger attributes allow). */
export function resolveAppSettingRefs(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%\s]+)%/g, (whole, name: string) => env[name] ?? whole);
}

export function resolveEntryFiles(appDir: string): string[] {
  const pkg = readJson(path.join(appDir, "package.json"));
  const main = typeof pkg?.main === "string" && pkg.main ? pkg.main : "index.js";
  const files = fg.isDynamicPattern(main)
    ? fg.sync(main, { cwd: appDir, absolute: true, onlyFiles: true }).sort()
    : [path.resolve(appDir, main)];
  if (files.length === 0 || !files.every((f) => fs.existsSync(f))) {
    throw new Error(
      `No entry files match package.json "main" ("${main}") in ${appDir}. Did you build the app?`,
    );
  }
  return files;
}

/**
 * The first `<function>/function.json` of a v3-model app (one folder per function), if any. `func start` finds
 * v3 functions this way; the devhost only runs the v4 programming model, where code registers its functions.
 */
export function findV3FunctionJson(appDir: string): string | undefined {
  return fg.sync("*/function.json", { cwd: appDir, onlyFiles: true, ignore: ["node_modules/**"] }).sort()[0];
}

function v3ModelError(appDir: string, functionJson: string): Error {
  return new Error(
    `${appDir} is a v3 programming model app (found ${functionJson}): the devhost runs the v4 programming ` +
      `model only (functions registered in code with app.http(), app.timer(), df.app.orchestration(), ...).`,
  );
}

/** Reads the configuration, requires the entry files and returns what they registered. */
export function loadApp(appDir: string, registry = new FunctionRegistry(), loader?: ModuleLoader): LoadedApp {
  const resolvedDir = path.resolve(appDir);
  applyLocalSettings(resolvedDir);
  const config = readHostConfig(resolvedDir);
  const functionJson = findV3FunctionJson(resolvedDir);
  let entryFiles: string[];
  try {
    entryFiles = resolveEntryFiles(resolvedDir);
  } catch (err) {
    throw functionJson ? v3ModelError(resolvedDir, functionJson) : err;
  }
  activateRegistry(registry);
  try {
    requireAppFiles(entryFiles, resolvedDir, loader);
    if (functionJson && registry.functions.size === 0) throw v3ModelError(resolvedDir, functionJson);
  } catch (err) {
    deactivateRegistry(registry);
    throw err;
  }
  return { appDir: resolvedDir, config, entryFiles, registry };
}
