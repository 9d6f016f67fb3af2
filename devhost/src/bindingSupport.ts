/**
 * Which bindings the devhost serves, and the warnings for those it does not.
 *
 * It runs HTTP, timer and Durable triggers, fills durableClient inputs and writes HTTP outputs (an HTTP trigger's
 * `$return` or an `output.http()` extra output). Every other binding (blob, queue, table, Cosmos DB, Service Bus,
 * ...) would need Azure or an emulator: its trigger never fires, its input reads as undefined and whatever the
 * function writes to its output is dropped. The host says so once at startup, and again (once per binding) the
 * first time a function actually writes a value that gets dropped.
 */
import type { FunctionRegistry, RegisteredFunction, RpcInvocationResponse } from "./functionsCore";

const SUPPORTED_TRIGGERS = new Set([
  "httptrigger",
  "timertrigger",
  "orchestrationtrigger",
  "activitytrigger",
  "entitytrigger",
]);
const SUPPORTED_INPUTS = new Set(["durableclient", "orchestrationclient"]);
const SUPPORTED_OUTPUTS = new Set(["http"]);
const RETURN_BINDING = "$return";

export interface UnsupportedBinding {
  functionName: string;
  bindingName: string;
  type: string;
  direction: "trigger" | "in" | "out";
}

function isTriggerType(type: string): boolean {
  return /trigger$/i.test(type);
}

export function unsupportedBindingsOf(fn: RegisteredFunction): UnsupportedBinding[] {
  const list: UnsupportedBinding[] = [];
  for (const [bindingName, binding] of Object.entries(fn.metadata.bindings)) {
    const type = String(binding.type ?? "");
    const lower = type.toLowerCase();
    const functionName = fn.metadata.name;
    if (binding.direction === "out") {
      if (!SUPPORTED_OUTPUTS.has(lower)) list.push({ functionName, bindingName, type, direction: "out" });
    } else if (isTriggerType(type)) {
      if (!SUPPORTED_TRIGGERS.has(lower))
        list.push({ functionName, bindingName, type, direction: "trigger" });
    } else if (!SUPPORTED_INPUTS.has(lower)) {
      list.push({ functionName, bindingName, type, direction: "in" });
    }
  }
  return list;
}

export function unsupportedBindings(registry: FunctionRegistry): UnsupportedBinding[] {
  return [...registry.functions.values()].flatMap(unsupportedBindingsOf);
}

const CONSEQUENCE: Record<UnsupportedBinding["direction"], string> = {
  trigger: "the function never runs",
  in: "the input reads as undefined",
  out: "values written to it are dropped",
};

/** One warning line per unsupported binding, for startup. */
export function describeUnsupported(list: UnsupportedBinding[]): string[] {
  return list.map((b) => {
    const what =
      b.direction === "trigger" ? "trigger" : b.direction === "in" ? "input binding" : "output binding";
    return (
      `Function '${b.functionName}': ${what} '${b.bindingName}' (${b.type}) is not supported by the devhost; ` +
      `${CONSEQUENCE[b.direction]}.`
    );
  });
}

function hasValue(data: unknown): boolean {
  return data !== undefined && data !== null && (typeof data !== "object" || Object.keys(data).length > 0);
}

/** Warns once per (function, binding) when an invocation wrote a value to an output the devhost drops. */
export class DroppedOutputWarnings {
  private readonly warned = new Set<string>();

  constructor(private readonly warn: (message: string, functionName: string) => void) {}

  check(fn: RegisteredFunction, response: RpcInvocationResponse): void {
    const written: string[] = [];
    for (const output of response.outputData ?? []) {
      if (output.name && hasValue(output.data)) written.push(output.name);
    }
    if (hasValue(response.returnValue) && fn.metadata.bindings[RETURN_BINDING]) written.push(RETURN_BINDING);
    for (const name of written) {
      const binding = fn.metadata.bindings[name];
      const type = String(binding?.type ?? "");
      if (!binding || SUPPORTED_OUTPUTS.has(type.toLowerCase())) continue;
      const key = `${fn.metadata.name}\u0000${name}`;
      if (this.warned.has(key)) continue;
      this.warned.add(key);
      this.warn(
        `Function '${fn.metadata.name}' wrote to output binding '${name}' (${type}); the devhost does not ` +
          `support it and dropped the value (further values for this binding are dropped silently).`,
        fn.metadata.name,
      );
    }
  }
}
