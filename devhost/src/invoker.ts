/**
 * Invokes registered functions the way the Node worker does: build an RPC-shaped invocation request, let the
 * app's programming model (`@azure/functions`) turn it into arguments, run the pre/post invocation hooks
 * around the handler, and convert the result back to RPC typed data.
 */
import { randomUUID } from "node:crypto";
import { DroppedOutputWarnings } from "./bindingSupport";
import type { DurableTriggerType, FunctionInvoker } from "./contracts";
import type {
  CoreInvocationContext,
  FunctionRegistry,
  LogCategory,
  LogLevel,
  RegisteredFunction,
  RpcBindingInfo,
  RpcHttpData,
  RpcInvocationResponse,
  RpcParameterBinding,
  RpcTypedData,
} from "./functionsCore";
import { httpTriggerMetadata } from "./http/rpcRequest";

export type RuntimeLog = (level: LogLevel, message: string, functionName?: string) => void;

export interface InvokerOptions {
  /** The durableClient binding value for a given origin (the engine's `clientInput`). */
  durableClientInput: (origin: string) => Record<string, unknown>;
  /** Origin (e.g. "http://127.0.0.1:7071") handed to durable clients. */
  origin: () => string;
  log: RuntimeLog;
  /** Counts invocations in flight, for `waitForIdle`. */
  track?: <T>(work: Promise<T>) => Promise<T>;
  /** Log "Executing '...'" / "Executed '...' (Succeeded, ...)" around every invocation, like `func start`. */
  traceInvocations?: boolean;
  /** Functions disabled by `AzureWebJobs.<name>.Disabled`; default: none. */
  isDisabled?: (functionName: string) => boolean;
  /** Whether an HTTP request carries admin (master key) credentials, which may call a disabled function. */
  isAdminRequest?: (request: RpcHttpData) => boolean;
}

/** One invocation's outcome: the worker's response, and whether the handler returned anything. */
interface Invocation {
  response: RpcInvocationResponse;
  returned: boolean;
  context: unknown;
}

/** The error the Durable extension gives for a function it has no listener for (DurableTaskExtension.cs). */
const DURABLE_KIND: Record<DurableTriggerType, string> = {
  orchestrationTrigger: "orchestrator",
  entityTrigger: "entity",
  activityTrigger: "activity",
};

export function notRunnableMessage(name: string, type: DurableTriggerType): string {
  return `The function '${name}' doesn't exist, is disabled, or is not an ${DURABLE_KIND[type]} function.`;
}

/** The Reason `func start` prints for an invocation, by trigger type. */
function invocationReason(triggerType: string): string {
  switch (triggerType.toLowerCase()) {
    case "httptrigger":
      return "This function was programmatically called via the host APIs.";
    case "timertrigger":
      return `Timer fired at ${new Date().toISOString()}`;
    default:
      return "(null)";
  }
}

const DURABLE_CLIENT_TYPES = new Set(["durableclient", "orchestrationclient"]);

type TriggerBinding = { name: string; binding: RpcBindingInfo };

// Bindings never change after registration; looked up on every invocation, so worth remembering.
const triggerBindings = new WeakMap<RegisteredFunction, TriggerBinding | undefined>();

export function triggerBinding(fn: RegisteredFunction): TriggerBinding | undefined {
  if (triggerBindings.has(fn)) return triggerBindings.get(fn);
  let found: TriggerBinding | undefined;
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (binding.direction === "in" && typeof binding.type === "string" && /trigger$/i.test(binding.type)) {
      found = { name, binding };
      break;
    }
  }
  triggerBindings.set(fn, found);
  return found;
}

export function triggerType(fn: RegisteredFunction): string | undefined {
  return triggerBinding(fn)?.binding.type ?? undefined;
}

/** Parses a return value the way the host reads it (JSON and strings as values, numbers, bytes). */
export function fromRpcReturnValue(data: RpcTypedData | null | undefined): unknown {
  if (data === null) return null;
  if (data === undefined) return undefined;
  if (data.json !== undefined && data.json !== null) return JSON.parse(data.json);
  if (data.string !== undefined && data.string !== null) return data.string;
  if (data.int !== undefined && data.int !== null) return Number(data.int);
  if (data.double !== undefined && data.double !== null) return data.double;
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.stream) return Buffer.from(data.stream);
  if (data.http) return data.http;
  return undefined;
}

/**
 * The binding data the Durable extension gives an activity (ActivityTriggerAttributeBindingProvider.cs): the input
 * under the trigger's name and as `data`, and the orchestration's `instanceId` when the caller knows it.
 * @azure/functions exposes it as `context.triggerMetadata` (camel-cased). Orchestrations and entities also get
 * their whole trigger value under the trigger's name there; the devhost leaves that copy out, since the library
 * would parse and camel-case the full history or entity state a second time on every episode.
 */
function durableTriggerMetadata(
  fn: RegisteredFunction,
  type: DurableTriggerType,
  data: RpcTypedData,
  extra: Record<string, unknown> | undefined,
): Record<string, RpcTypedData> {
  const metadata: Record<string, RpcTypedData> = {};
  const bindingName = triggerBinding(fn)?.name;
  if (type === "activityTrigger") {
    if (bindingName) metadata[bindingName] = data;
    metadata.data = data;
  }
  for (const [key, value] of Object.entries(extra ?? {})) {
    if (value !== undefined)
      metadata[key] = typeof value === "string" ? { string: value } : { json: JSON.stringify(value) };
  }
  return metadata;
}

/** Whether the handler set an `output.http()` extra output (which the library writes like a returned response). */
function wroteHttpOutput(fn: RegisteredFunction, context: unknown): boolean {
  const outputs = (context as { extraOutputs?: { get(output: { name: string }): unknown } } | undefined)
    ?.extraOutputs;
  if (!outputs) return false;
  return Object.entries(fn.metadata.bindings).some(
    ([name, b]) =>
      b.direction === "out" &&
      String(b.type).toLowerCase() === "http" &&
      name !== "$return" &&
      outputs.get({ name }) !== undefined,
  );
}

export class RuntimeInvoker implements FunctionInvoker {
  private readonly droppedOutputs: DroppedOutputWarnings;

  constructor(
    private readonly registry: FunctionRegistry,
    private readonly options: InvokerOptions,
  ) {
    this.droppedOutputs = new DroppedOutputWarnings((message, name) => options.log("warning", message, name));
  }

  hasFunction(name: string, type: DurableTriggerType): boolean {
    const fn = this.registry.find(name);
    return !!fn && triggerType(fn)?.toLowerCase() === type.toLowerCase();
  }

  /**
   * A disabled Durable function keeps its name registered (the extension's binding providers register every
   * indexed trigger) but has no listener, so what it is asked to run fails with the extension's "doesn't exist, is
   * disabled" message instead (OutOfProcMiddleware.cs). `triggerMetadata` is the binding data the extension gives
   * the trigger (e.g. an activity's `instanceId`), when the caller knows it.
   */
  async invoke(
    name: string,
    type: DurableTriggerType,
    triggerValue: unknown,
    triggerMetadata?: Record<string, unknown>,
  ): Promise<unknown> {
    const fn = this.registry.find(name);
    if (!fn || triggerType(fn)?.toLowerCase() !== type.toLowerCase()) {
      throw new Error(`No ${type} function named "${name}" is registered`);
    }
    if (this.isDisabled(fn)) throw new Error(notRunnableMessage(name, type));
    const data: RpcTypedData = triggerValue === undefined ? {} : { json: JSON.stringify(triggerValue) };
    const metadata = durableTriggerMetadata(fn, type, data, triggerMetadata);
    const { response } = await this.run(fn, data, metadata);
    return fromRpcReturnValue(response.returnValue);
  }

  isDisabled(fn: RegisteredFunction): boolean {
    return this.options.isDisabled?.(fn.metadata.name) ?? false;
  }

  /**
   * Invokes an HTTP-triggered function; resolves with the RPC HTTP response (undefined when none). A disabled
   * function answers 404 without running unless the caller has admin rights, as the host's
   * FunctionInvocationMiddleware does.
   */
  async invokeHttp(fn: RegisteredFunction, request: RpcHttpData): Promise<RpcHttpData | undefined> {
    if (this.refusesDisabled(fn, request)) return { statusCode: "404" };
    const { response } = await this.run(fn, { http: request }, httpTriggerMetadata(request));
    if (response.returnValue?.http) return response.returnValue.http;
    for (const output of response.outputData ?? []) {
      const binding = output.name ? fn.metadata.bindings[output.name] : undefined;
      if (binding?.type?.toLowerCase() === "http" && output.data?.http) return output.data.http;
    }
    return undefined;
  }

  /** Whether a disabled function must not run for this request. */
  refusesDisabled(fn: RegisteredFunction, request: RpcHttpData): boolean {
    return this.isDisabled(fn) && !(this.options.isAdminRequest?.(request) ?? false);
  }

  /**
   * Invokes an HTTP-triggered function whose request and response travel over @azure/functions' streaming proxy:
   * the RPC request carries an empty HTTP object and the request's headers, query and route parameters as trigger
   * metadata (GrpcMessageConversionExtensions.cs `ToRpcHttp` when the worker reports `HttpUri`). Resolves with
   * whether the handler produced an HTTP response (which the library then wrote to the proxy).
   */
  async invokeHttpStream(
    fn: RegisteredFunction,
    request: RpcHttpData,
    invocationId: string,
  ): Promise<boolean> {
    const invocation = await this.run(fn, { http: {} }, httpTriggerMetadata(request), invocationId);
    return invocation.returned || wroteHttpOutput(fn, invocation.context);
  }

  /** Invokes a timer-triggered function with the timer value the host sends (PascalCase keys). */
  async invokeTimer(fn: RegisteredFunction, timerInfo: Record<string, unknown>): Promise<void> {
    if (this.isDisabled(fn)) return;
    await this.run(fn, { json: JSON.stringify(timerInfo) }, {});
  }

  private run(
    fn: RegisteredFunction,
    triggerData: RpcTypedData,
    triggerMetadata: Record<string, RpcTypedData>,
    invocationId: string = randomUUID(),
  ): Promise<Invocation> {
    const work = this.options.traceInvocations
      ? this.traced(fn, triggerData, triggerMetadata, invocationId)
      : this.execute(fn, triggerData, triggerMetadata, invocationId);
    return this.options.track ? this.options.track(work) : work;
  }

  private async traced(
    fn: RegisteredFunction,
    triggerData: RpcTypedData,
    triggerMetadata: Record<string, RpcTypedData>,
    id: string,
  ): Promise<Invocation> {
    const name = fn.metadata.name;
    const started = performance.now();
    const reason = invocationReason(triggerType(fn) ?? "");
    this.options.log("information", `Executing 'Functions.${name}' (Reason='${reason}', Id=${id})`, name);
    const took = () => `Duration=${Math.round(performance.now() - started)}ms`;
    try {
      const invocation = await this.execute(fn, triggerData, triggerMetadata, id);
      this.options.log("information", `Executed 'Functions.${name}' (Succeeded, Id=${id}, ${took()})`, name);
      return invocation;
    } catch (err) {
      this.options.log("error", `Executed 'Functions.${name}' (Failed, Id=${id}, ${took()})`, name);
      throw err;
    }
  }

  private async execute(
    fn: RegisteredFunction,
    triggerData: RpcTypedData,
    triggerMetadata: Record<string, RpcTypedData>,
    invocationId: string,
  ): Promise<Invocation> {
    const trigger = triggerBinding(fn);
    if (!trigger) throw new Error(`Function "${fn.metadata.name}" has no trigger binding`);
    const inputData: RpcParameterBinding[] = [{ name: trigger.name, data: triggerData }];
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      if (name === trigger.name || binding.direction !== "in") continue;
      if (DURABLE_CLIENT_TYPES.has(String(binding.type).toLowerCase())) {
        const clientInput = this.options.durableClientInput(this.options.origin());
        inputData.push({ name, data: { string: JSON.stringify(clientInput) } });
      }
    }

    const registry = this.registry;
    const functionName = fn.metadata.name;
    const invocation: { context?: unknown } = {};
    const coreCtx: CoreInvocationContext = {
      invocationId,
      request: { invocationId, inputData, triggerMetadata },
      metadata: fn.metadata,
      log: (level, category, message) => this.log(level, category, message, functionName, invocation.context),
    };

    const model = await registry.getProgrammingModel().getInvocationModel(coreCtx);
    const { context, inputs } = await model.getArguments();
    invocation.context = context;

    const hookData: Record<string, unknown> = {};
    const pre: Record<string, unknown> = {
      hookData,
      appHookData: registry.appHookData,
      invocationContext: context,
      functionCallback: fn.callback,
      inputs,
    };
    coreCtx.state = "preInvocationHooks";
    try {
      for (const hook of registry.hooksFor("preInvocation")) await hook(pre);
    } finally {
      coreCtx.state = undefined;
    }

    const post: Record<string, unknown> = {
      hookData,
      appHookData: registry.appHookData,
      invocationContext: context,
      inputs: pre.inputs,
      result: null,
      error: null,
    };
    coreCtx.state = "invocation";
    try {
      post.result = await model.invokeFunction(
        context,
        pre.inputs as unknown[],
        pre.functionCallback as RegisteredFunction["callback"],
      );
    } catch (err) {
      post.error = err;
    } finally {
      coreCtx.state = undefined;
    }

    coreCtx.state = "postInvocationHooks";
    try {
      for (const hook of registry.hooksFor("postInvocation")) await hook(post);
    } finally {
      coreCtx.state = undefined;
    }

    if (post.error !== null && post.error !== undefined) throw post.error;
    const response = await model.getResponse(context, post.result);
    this.droppedOutputs.check(fn, response);
    return { response, returned: post.result !== null && post.result !== undefined, context };
  }

  private log(
    level: LogLevel,
    category: LogCategory,
    message: string,
    functionName: string,
    invocationContext: unknown,
  ): void {
    const logHooks = this.registry.hooksFor("log");
    if (logHooks.length > 0) {
      const hookContext: Record<string, unknown> = {
        level,
        category,
        message,
        invocationContext,
        hookData: {},
        appHookData: this.registry.appHookData,
      };
      for (const hook of logHooks) void hook(hookContext);
      level = hookContext.level as LogLevel;
      message = hookContext.message as string;
    }
    this.options.log(level, message, functionName);
  }
}
