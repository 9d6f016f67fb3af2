/**
 * Function keys. Like `func start`, nothing is enforced unless keys are configured; then "function"-level
 * functions need a host key, one of their own keys or the master key, and "admin"-level ones the master key,
 * passed as `?code=` or the `x-functions-key` header.
 */
import type { AuthLevel } from "./routes";

export interface HostKeys {
  /** Satisfies every auth level; the only key accepted for "admin". */
  master?: string;
  /** Host keys, valid for every "function"-level function. */
  host?: string[];
  /** Function-specific keys, by function name. */
  functions?: Record<string, string[]>;
}

export const KEYS_ENV = "DEVHOST_KEYS";

/** Parses keys from JSON, e.g. `{"master":"m","host":["h"],"functions":{"start":["k"]}}`. */
export function parseHostKeys(text: string): HostKeys {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`Invalid keys (expected JSON like {"master":"...","host":["..."]}): ${text}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error("Keys must be an object");
  const raw = value as Record<string, unknown>;
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];
  const functions: Record<string, string[]> = {};
  if (typeof raw.functions === "object" && raw.functions !== null) {
    for (const [name, keys] of Object.entries(raw.functions)) functions[name] = strings(keys);
  }
  return {
    master: raw.master === undefined ? undefined : String(raw.master),
    host: strings(raw.host),
    functions,
  };
}

export function keysConfigured(keys: HostKeys | undefined): keys is HostKeys {
  if (!keys) return false;
  return (
    !!keys.master || (keys.host?.length ?? 0) > 0 || Object.values(keys.functions ?? {}).some((k) => k.length)
  );
}

export function isAuthorized(
  keys: HostKeys | undefined,
  level: AuthLevel,
  functionName: string,
  presented: string | undefined,
): boolean {
  if (level === "anonymous" || !keysConfigured(keys)) return true;
  if (!presented) return false;
  if (keys.master && presented === keys.master) return true;
  if (level === "admin") return false;
  return !!keys.host?.includes(presented) || !!keys.functions?.[functionName]?.includes(presented);
}
