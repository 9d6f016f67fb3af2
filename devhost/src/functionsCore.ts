/**
 * The `@azure/functions-core` module the Node worker provides at runtime, and the registry it fills.
 *
 * `@azure/functions` requires this module once (and caches it), calls `setProgrammingModel` on its first
 * registration only (its module-level "hasSetModel" flag), then `registerFunction` for each function. So the
 * shim is one process-wide object: each app load points it at a fresh `FunctionRegistry`, and the last
 * programming model seen is kept process-wide for loads where a cached `@azure/functions` does not set it again.
 */

/** RPC typed data, as the worker exchanges it with the host (only the shapes the devhost uses). */
export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  stream?: Uint8Array | null;
  http?: RpcHttpData | null;
  int?: number | null;
  double?: number | null;
}

export interface RpcHttpCookie {
  name?: string | null;
  value?: string | null;
  domain?: { value?: string | null } | null;
  path?: { value?: string | null } | null;
  expires?: { value?: { seconds?: number | null; nanos?: number | null } | null } | null;
  secure?: { value?: boolean | null } | null;
  httpOnly?: { value?: boolean | null } | null;
  sameSite?: "none" | "lax" | "strict" | "explicitNone" | null;
  maxAge?: { value?: number | null } | null;
}

export interface RpcNullableString {
  value?: string | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  query?: Record<string, string> | null;
  /** What the host fills for a worker with the UseNullableValueDictionaryForHttp capability (the Node worker). */
  nullableHeaders?: Record<string, RpcNullableString> | null;
  nullableQuery?: Record<string, RpcNullableString> | null;
  nullableParams?: Record<string, RpcNullableString> | null;
  statusCode?: string | null;
  cookies?: RpcHttpCookie[] | null;
  enableContentNegotiation?: boolean | null;
}

export interface RpcBindingInfo {
  type?: string | null;
  direction?: "in" | "out" | "inout" | null;
  [property: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, RpcBindingInfo>;
  [property: string]: unknown;
}

export type LogLevel = "trace" | "debug" | "information" | "warning" | "error" | "critical" | "none";
export type LogCategory = "user" | "system" | "customMetric";

export interface RpcParameterBinding {
  name: string;
  data: RpcTypedData | null | undefined;
}

export interface CoreInvocationContext {
  invocationId: string;
  request: {
    invocationId: string;
    inputData: RpcParameterBinding[];
    triggerMetadata: Record<string, RpcTypedData>;
  };
  metadata: FunctionMetadata;
  state?: "preInvocationHooks" | "postInvocationHooks" | "invocation";
  log(level: LogLevel, category: LogCategory, message: string): void;
}

export interface RpcInvocationResponse {
  invocationId?: string | null;
  outputData?: { name?: string | null; data?: RpcTypedData | null }[] | null;
  returnValue?: RpcTypedData | null;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

/** Capabilities the worker reports to the host (string values), e.g. `HttpUri` when HTTP streaming is on. */
export type WorkerCapabilities = Record<string, string>;

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: CoreInvocationContext): InvocationModel | Promise<InvocationModel>;
  /** @azure/functions 4.3+: adds its capabilities (and starts its HTTP streaming proxy when enabled). */
  getCapabilities?(capabilities: WorkerCapabilities): WorkerCapabilities | Promise<WorkerCapabilities>;
}

export type FunctionCallback = (...args: unknown[]) => unknown;
export type HookCallback = (context: Record<string, unknown>) => unknown;
export type HookName = "appStart" | "appTerminate" | "preInvocation" | "postInvocation" | "log";

const HOOK_NAMES: readonly string[] = ["appStart", "appTerminate", "preInvocation", "postInvocation", "log"];

export class Disposable {
  #onDispose?: () => unknown;

  static from(...disposables: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => {
      for (const d of disposables) d?.dispose?.();
    });
  }

  constructor(onDispose: () => unknown) {
    this.#onDispose = onDispose;
  }

  dispose(): unknown {
    const fn = this.#onDispose;
    this.#onDispose = undefined;
    return fn?.();
  }
}

export interface RegisteredFunction {
  metadata: FunctionMetadata;
  callback: FunctionCallback;
}

/** What one app load registered: functions, hooks, and the programming model that will invoke them. */
export class FunctionRegistry {
  readonly functions = new Map<string, RegisteredFunction>();
  /** Function names are case-insensitive in Azure Functions (the Durable SDK sends entity names lowercased). */
  private readonly byLowerName = new Map<string, RegisteredFunction>();
  readonly hooks = new Map<HookName, HookCallback[]>();
  /** Shared between all hooks of the app, like the worker's `appHookData`. */
  readonly appHookData: Record<string, unknown> = {};
  programmingModel?: ProgrammingModel;
  /** Where `coreApi.log` (system logs of @azure/functions) goes; set by the host. */
  log: (level: LogLevel, category: LogCategory, message: string) => void = () => {};

  /** The programming model that registered this app's functions, if any. */
  findProgrammingModel(): ProgrammingModel | undefined {
    return this.programmingModel ?? lastProgrammingModel;
  }

  getProgrammingModel(): ProgrammingModel {
    const model = this.findProgrammingModel();
    if (!model) throw new Error("No programming model registered: did the app load @azure/functions?");
    return model;
  }

  hooksFor(name: HookName): HookCallback[] {
    return this.hooks.get(name) ?? [];
  }

  /** The function registered under this name, compared case-insensitively. */
  find(name: string): RegisteredFunction | undefined {
    return this.functions.get(name) ?? this.byLowerName.get(name.toLowerCase());
  }

  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    const lower = metadata.name.toLowerCase();
    if (this.byLowerName.has(lower)) {
      throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
    }
    const fn = { metadata, callback };
    this.functions.set(metadata.name, fn);
    this.byLowerName.set(lower, fn);
    return new Disposable(() => {
      this.functions.delete(metadata.name);
      this.byLowerName.delete(lower);
    });
  }

  registerHook(name: string, callback: HookCallback): Disposable {
    if (!HOOK_NAMES.includes(name)) {
      // The worker throws a RangeError for unknown hooks; @azure/functions relies on that name.
      const err = new RangeError(`Unrecognized hook "${name}"`) as RangeError & {
        isAzureFunctionsSystemError: boolean;
      };
      err.isAzureFunctionsSystemError = true;
      throw err;
    }
    const list = this.hooks.get(name as HookName) ?? [];
    list.push(callback);
    this.hooks.set(name as HookName, list);
    return new Disposable(() => {
      const i = list.indexOf(callback);
      if (i >= 0) list.splice(i, 1);
    });
  }
}

let lastProgrammingModel: ProgrammingModel | undefined;
/** The registry app code currently registers into: the one being loaded, or the last one loaded. */
let activeRegistry: FunctionRegistry | undefined;

/** Points the shim at `registry` so the app's registrations land there. */
export function activateRegistry(registry: FunctionRegistry): void {
  activeRegistry = registry;
}

export function deactivateRegistry(registry: FunctionRegistry): void {
  if (activeRegistry === registry) activeRegistry = undefined;
}

function requireRegistry(what: string): FunctionRegistry {
  if (!activeRegistry)
    throw new Error(`@azure/functions-core: ${what} called while no devhost app is loading`);
  return activeRegistry;
}

/** The object `require("@azure/functions-core")` returns. */
export const functionsCoreApi = {
  version: "devhost",
  hostVersion: "4.0.0-devhost",
  Disposable,
  setProgrammingModel(model: ProgrammingModel): void {
    lastProgrammingModel = model;
    if (activeRegistry) activeRegistry.programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return activeRegistry?.programmingModel ?? lastProgrammingModel;
  },
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    return requireRegistry("registerFunction").registerFunction(metadata, callback);
  },
  registerHook(name: string, callback: HookCallback): Disposable {
    return requireRegistry("registerHook").registerHook(name, callback);
  },
  log(level: LogLevel, category: LogCategory, message: string): void {
    activeRegistry?.log(level, category, message);
  },
};
