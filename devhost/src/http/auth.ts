/**
 * Keys, as the Functions host checks them (azure-functions-host: AuthenticationLevelHandler reads the key from
 * the `x-functions-key` header, else the `code` query parameter; AuthUtility.PrincipalHasAuthLevelClaim
 * lets the master key through everywhere). Like `func start`, nothing is enforced unless keys are configured;
 * then "function"-level functions need a host key, one of their own keys or the master key, "admin"-level
 * ones the master key, and an extension's webhooks (`/runtime/webhooks/{extension}`) its system key
 * (`{extension}_extension`, DefaultScriptWebHookProvider.GetKeyName) or the master key.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { AuthLevel } from "./routes";

export interface HostKeys {
  /** Satisfies every auth level; the only key accepted for "admin". */
  master?: string;
  /** Host keys, valid for every "function"-level function. */
  host?: string[];
  /** Function-specific keys, by function name. */
  functions?: Record<string, string[]>;
  /** System keys by (lower-case) name, e.g. `durabletask_extension` for the Durable management API. */
  system?: Record<string, string[]>;
}

export const KEYS_ENV = "DEVHOST_KEYS";

/** The extension whose webhooks the devhost serves: the Durable management API. */
export const DURABLE_EXTENSION = "durabletask";

/** The system key name of an extension's webhooks, by the Functions host's convention. */
export function extensionKeyName(extension: string): string {
  return `${extension}_extension`.toLowerCase();
}

/**
 * Parses keys from JSON, e.g. `{"master":"m","host":["h"],"functions":{"start":["k"]},
 * "system":{"durabletask_extension":"s"}}` (any list may also be a single string).
 */
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
  const byName = (v: unknown, lowerCase: boolean): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    if (typeof v !== "object" || v === null) return out;
    for (const [name, keys] of Object.entries(v)) out[lowerCase ? name.toLowerCase() : name] = strings(keys);
    return out;
  };
  return {
    master: raw.master === undefined ? undefined : String(raw.master),
    host: strings(raw.host),
    functions: byName(raw.functions, false),
    system: byName(raw.system, true),
  };
}

export function keysConfigured(keys: HostKeys | undefined): keys is HostKeys {
  if (!keys) return false;
  const any = (lists: Record<string, string[]> | undefined): boolean =>
    Object.values(lists ?? {}).some((k) => k.length > 0);
  return !!keys.master || (keys.host?.length ?? 0) > 0 || any(keys.functions) || any(keys.system);
}

/**
 * The keys with a system key for `extension`: the configured one, or a new random one, as the Functions host
 * creates a missing extension key on demand (DefaultScriptWebHookProvider.GetOrCreateExtensionKey).
 */
export function withExtensionKey(keys: HostKeys, extension: string): HostKeys {
  const name = extensionKeyName(extension);
  if ((keys.system?.[name]?.length ?? 0) > 0) return keys;
  return { ...keys, system: { ...keys.system, [name]: [randomBytes(32).toString("base64url")] } };
}

/** The key an extension's webhook URLs carry as `code=` (see withExtensionKey). */
export function extensionKey(keys: HostKeys | undefined, extension: string): string | undefined {
  return keys?.system?.[extensionKeyName(extension)]?.[0];
}

/**
 * The key a request presents: the first `x-functions-key` header if there is one (even empty: the header
 * wins), else the first `code` query parameter (query names match case-insensitively, as in ASP.NET Core).
 * An empty key is no key.
 */
export function presentedKey(headerValues: string[] | undefined, query: URLSearchParams): string | undefined {
  let key: string | undefined;
  if (headerValues !== undefined && headerValues.length > 0) key = headerValues[0];
  else {
    for (const [name, value] of query) {
      if (name.toLowerCase() === "code") {
        key = value;
        break;
      }
    }
  }
  return key === "" ? undefined : key;
}

/** Compares keys in time independent of where they differ. */
function sameKey(presented: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

function oneOf(presented: string, keys: string[] | undefined): boolean {
  let found = false;
  for (const key of keys ?? []) if (sameKey(presented, key)) found = true;
  return found;
}

export function isAuthorized(
  keys: HostKeys | undefined,
  level: AuthLevel,
  functionName: string,
  presented: string | undefined,
): boolean {
  if (level === "anonymous" || !keysConfigured(keys)) return true;
  if (!presented) return false;
  if (keys.master && sameKey(presented, keys.master)) return true;
  if (level === "admin") return false;
  return oneOf(presented, keys.host) || oneOf(presented, keys.functions?.[functionName]);
}

/** An extension's webhooks: its system key or the master key (host and function keys are not enough). */
export function isAuthorizedForExtension(
  keys: HostKeys | undefined,
  extension: string,
  presented: string | undefined,
): boolean {
  if (!keysConfigured(keys)) return true;
  if (!presented) return false;
  if (keys.master && sameKey(presented, keys.master)) return true;
  return oneOf(presented, keys.system?.[extensionKeyName(extension)]);
}
