/** What the host tells about its functions: the `DevHost.functions` list and the `func start` style listing. */
import type { FunctionRegistry } from "./functionsCore";
import { triggerBinding } from "./invoker";
import type { HttpRoute } from "./http/routes";

export interface FunctionInfo {
  name: string;
  /** Trigger binding type, e.g. "httpTrigger", "timerTrigger", "orchestrationTrigger". */
  trigger: string;
  /** HTTP only: upper-case methods (undefined = any), the route template below the prefix, auth level. */
  methods?: string[];
  route?: string;
  authLevel?: string;
  /** Timer only. */
  schedule?: string;
  /** Disabled by `AzureWebJobs.<name>.Disabled`. */
  disabled?: boolean;
}

export function describeFunctions(
  registry: FunctionRegistry,
  httpRoutes: HttpRoute[],
  disabled: ReadonlySet<string> = new Set(),
): FunctionInfo[] {
  const routesByName = new Map(httpRoutes.map((r) => [r.name, r]));
  const list: FunctionInfo[] = [];
  for (const fn of registry.functions.values()) {
    const binding = triggerBinding(fn)?.binding;
    const info: FunctionInfo = { name: fn.metadata.name, trigger: String(binding?.type ?? "unknown") };
    const route = routesByName.get(info.name);
    if (route) {
      info.methods = route.methods;
      info.route = route.route.template;
      info.authLevel = route.authLevel;
    }
    if (typeof binding?.schedule === "string") info.schedule = binding.schedule;
    if (disabled.has(info.name)) info.disabled = true;
    list.push(info);
  }
  return list.sort((a, b) => a.name.localeCompare(b.name, "en", { sensitivity: "base" }));
}

/**
 * The function listing `func start` prints, e.g. `        hello: [GET,POST] http://localhost:7071/api/hello`.
 * Disabled functions are left out of it and named after it, `Function <name> is disabled.` (core-tools
 * `DisplayFunctionsInfoUtilities.cs`).
 */
export function formatFunctionList(functions: FunctionInfo[], origin: string, routePrefix: string): string {
  const lines = ["Functions:", ""];
  for (const fn of functions) {
    if (fn.disabled) continue;
    if (fn.route !== undefined) {
      const methods = fn.methods ? fn.methods.join(",") : "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS";
      const path = [routePrefix, fn.route].filter((p) => p !== "").join("/");
      lines.push(`        ${fn.name}: [${methods}] ${origin}/${path}`);
    } else {
      lines.push(`        ${fn.name}: ${fn.trigger}`);
    }
  }
  for (const fn of functions) if (fn.disabled) lines.push(`Function ${fn.name} is disabled.`);
  return lines.join("\n") + "\n";
}
