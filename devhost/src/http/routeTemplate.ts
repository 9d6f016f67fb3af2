/**
 * Functions (ASP.NET Core) route templates: literals, `{name}`, `{name?}`, `{name=default}`, constraints
 * such as `{id:int}`, `{id:guid}`, `{name:alpha:minlength(2)}`, `{x:regex(^a+$)}`, and catch-all `{*rest}`.
 * Literals match case-insensitively; parameter values are URL-decoded.
 */

type Constraint = (value: string) => boolean;

interface Parameter {
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue?: string;
  constraints: Constraint[];
}

export interface RouteTemplate {
  template: string;
  /** Compared lexicographically: lower sorts first (literals before parameters before catch-alls). */
  precedence: number[];
  match(path: string): Record<string, string> | undefined;
}

const GUID = /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i;
const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)$/;

function numberArgs(name: string, args: string | undefined, count: number[]): number[] {
  const values = (args ?? "").split(",").map((s) => Number(s.trim()));
  if (!count.includes(values.length) || values.some((n) => !Number.isFinite(n))) {
    throw new Error(`Route constraint "${name}" needs ${count.join(" or ")} numeric argument(s)`);
  }
  return values;
}

function makeConstraint(spec: string): Constraint {
  const m = /^([a-zA-Z]+)(?:\((.*)\))?$/s.exec(spec);
  if (!m) throw new Error(`Invalid route constraint "${spec}"`);
  const name = m[1].toLowerCase();
  const args = m[2];
  switch (name) {
    case "int":
      return (v) => INTEGER.test(v) && Math.abs(Number(v)) <= 2 ** 31;
    case "long":
      return (v) => INTEGER.test(v);
    case "bool":
      return (v) => /^(true|false)$/i.test(v);
    case "datetime":
      return (v) => !Number.isNaN(Date.parse(v));
    case "decimal":
    case "double":
    case "float":
      return (v) => DECIMAL.test(v);
    case "guid":
      return (v) => GUID.test(v);
    case "alpha":
      return (v) => /^[a-z]+$/i.test(v);
    case "required":
      return (v) => v.length > 0;
    case "minlength": {
      const [min] = numberArgs(name, args, [1]);
      return (v) => v.length >= min;
    }
    case "maxlength": {
      const [max] = numberArgs(name, args, [1]);
      return (v) => v.length <= max;
    }
    case "length": {
      const [a, b] = numberArgs(name, args, [1, 2]);
      return b === undefined ? (v) => v.length === a : (v) => v.length >= a && v.length <= b;
    }
    case "min": {
      const [min] = numberArgs(name, args, [1]);
      return (v) => INTEGER.test(v) && Number(v) >= min;
    }
    case "max": {
      const [max] = numberArgs(name, args, [1]);
      return (v) => INTEGER.test(v) && Number(v) <= max;
    }
    case "range": {
      const [min, max] = numberArgs(name, args, [2]);
      return (v) => INTEGER.test(v) && Number(v) >= min && Number(v) <= max;
    }
    case "regex": {
      const re = new RegExp(args ?? "", "i");
      return (v) => re.test(v);
    }
    default:
      throw new Error(`Unsupported route constraint "${spec}"`);
  }
}

/** Splits "id:int:regex(a:b)" on colons outside parentheses. */
function splitConstraints(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of body) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === ":" && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function parseParameter(body: string): Parameter {
  const [head, ...constraintSpecs] = splitConstraints(body);
  let name = head.trim();
  const catchAll = name.startsWith("*");
  if (catchAll) name = name.replace(/^\*+/, "");
  let optional = catchAll;
  let defaultValue: string | undefined;
  const eq = name.indexOf("=");
  if (eq >= 0) {
    defaultValue = name.slice(eq + 1);
    name = name.slice(0, eq);
    optional = true;
  }
  if (name.endsWith("?")) {
    name = name.slice(0, -1);
    optional = true;
  }
  if (!/^[A-Za-z_][\w-]*$/.test(name)) throw new Error(`Invalid route parameter name "{${body}}"`);
  return { name, optional, catchAll, defaultValue, constraints: constraintSpecs.map(makeConstraint) };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Splits a segment such as "file.{ext}" into literal text and parameters. */
function parseSegment(segment: string, template: string): (string | Parameter)[] {
  const parts: (string | Parameter)[] = [];
  let rest = segment;
  while (rest.length > 0) {
    const open = rest.indexOf("{");
    if (open < 0) {
      parts.push(rest);
      break;
    }
    if (open > 0) parts.push(rest.slice(0, open));
    let depth = 0;
    let close = -1;
    for (let i = open; i < rest.length; i++) {
      if (rest[i] === "{") depth++;
      else if (rest[i] === "}" && --depth === 0) {
        close = i;
        break;
      }
    }
    if (close < 0) throw new Error(`Unbalanced braces in route template "${template}"`);
    parts.push(parseParameter(rest.slice(open + 1, close)));
    rest = rest.slice(close + 1);
  }
  return parts;
}

export function parseRouteTemplate(template: string): RouteTemplate {
  const normalized = template.replace(/^~?\/+/, "").replace(/\/+$/, "");
  const segments = normalized === "" ? [] : normalized.split("/");
  const params: Parameter[] = [];
  const precedence: number[] = [];
  let pattern = "";

  segments.forEach((segment, index) => {
    const parts = parseSegment(segment, template);
    const sep = index === 0 ? "" : "/";
    const only = parts.length === 1 && typeof parts[0] !== "string" ? parts[0] : undefined;
    if (only) {
      params.push(only);
      const group = only.catchAll ? "(.*)" : "([^/]+)";
      pattern += only.optional ? `(?:${sep}${group})?` : `${sep}${group}`;
      precedence.push(only.catchAll ? 5 : only.constraints.length > 0 ? 3 : 4);
      return;
    }
    let segmentPattern = "";
    for (const part of parts) {
      if (typeof part === "string") segmentPattern += escapeRegex(part);
      else {
        if (part.catchAll) throw new Error(`A catch-all parameter must be a whole segment in "${template}"`);
        params.push(part);
        segmentPattern += part.optional ? "([^/]*?)" : "([^/]+?)";
      }
    }
    pattern += sep + segmentPattern;
    precedence.push(parts.every((p) => typeof p === "string") ? 1 : 2);
  });

  const regex = new RegExp(`^${pattern}$`, "i");
  return {
    template: normalized,
    precedence,
    match(path: string): Record<string, string> | undefined {
      const m = regex.exec(path);
      if (!m) return undefined;
      const values: Record<string, string> = {};
      for (let i = 0; i < params.length; i++) {
        const param = params[i];
        const raw = m[i + 1];
        if (raw === undefined || raw === "") {
          if (!param.optional) return undefined;
          if (param.defaultValue !== undefined) values[param.name] = param.defaultValue;
          continue;
        }
        const value = safeDecode(raw);
        if (!param.constraints.every((check) => check(value))) return undefined;
        values[param.name] = value;
      }
      return values;
    },
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function comparePrecedence(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return b.length - a.length;
}
