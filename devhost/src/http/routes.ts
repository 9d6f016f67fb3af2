/** The HTTP route table: which HTTP-triggered function serves a method and path. */
import type { FunctionRegistry, RegisteredFunction } from "../functionsCore";
import { triggerBinding } from "../invoker";
import { comparePrecedence, parseRouteTemplate, type RouteTemplate } from "./routeTemplate";

export type AuthLevel = "anonymous" | "function" | "admin";

export interface HttpRoute {
  fn: RegisteredFunction;
  name: string;
  /** Upper-case methods; undefined means any method. */
  methods?: string[];
  authLevel: AuthLevel;
  route: RouteTemplate;
}

export interface RouteMatch {
  route: HttpRoute;
  params: Record<string, string>;
}

function toAuthLevel(value: unknown): AuthLevel {
  const level = typeof value === "string" ? value.toLowerCase() : "anonymous";
  if (level === "function" || level === "admin") return level;
  return "anonymous";
}

export function httpRoutesOf(registry: FunctionRegistry): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const fn of registry.functions.values()) {
    const trigger = triggerBinding(fn);
    if (!trigger || trigger.binding.type?.toLowerCase() !== "httptrigger") continue;
    const { binding } = trigger;
    const methods = Array.isArray(binding.methods)
      ? (binding.methods as unknown[]).map((m) => String(m).toUpperCase())
      : undefined;
    const template = typeof binding.route === "string" && binding.route ? binding.route : fn.metadata.name;
    routes.push({
      fn,
      name: fn.metadata.name,
      methods: methods && methods.length > 0 ? methods : undefined,
      authLevel: toAuthLevel(binding.authLevel),
      route: parseRouteTemplate(template),
    });
  }
  return routes.sort(
    (a, b) =>
      comparePrecedence(a.route.precedence, b.route.precedence) ||
      a.route.template.localeCompare(b.route.template) ||
      a.name.localeCompare(b.name),
  );
}

export class RouteTable {
  private readonly prefix: string;

  constructor(
    readonly routes: HttpRoute[],
    routePrefix: string,
  ) {
    this.prefix = routePrefix ? `/${routePrefix.toLowerCase()}` : "";
  }

  /** `pathname` is the raw (still encoded) URL path, e.g. "/api/jobs/a%20b". */
  match(method: string, pathname: string): RouteMatch | undefined {
    let rest: string;
    if (this.prefix) {
      const head = pathname.slice(0, this.prefix.length).toLowerCase();
      if (head !== this.prefix) return undefined;
      rest = pathname.slice(this.prefix.length);
      if (rest !== "" && rest[0] !== "/") return undefined;
    } else rest = pathname;
    rest = rest.replace(/^\/+/, "").replace(/\/+$/, "");
    for (const route of this.routes) {
      if (route.methods && !route.methods.includes(method)) continue;
      const params = route.route.match(rest);
      if (params) return { route, params };
    }
    return undefined;
  }
}
