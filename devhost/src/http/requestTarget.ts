/**
 * The request target and origin the host routes on. Kestrel normalizes a request's path before the Functions
 * host routes it (percent-decoding, then removing `.` and `..` segments), so a path's route and its key check
 * are decided on one path. We do the part of that which can change the route, and nothing more: decode the
 * percent-encoded unreserved characters (RFC 3986 §6.2.2.2: `%2e` is `.`, `%74` is `t`) and remove dot
 * segments (§5.2.4). Everything else stays encoded (`%2F` is never a separator); routes decode their own
 * segments. So `/api/../runtime/webhooks/durable%74ask/instances` is the management API, with its key check.
 */

export interface RequestTarget {
  /** The normalized path, still percent-encoded except for unreserved characters. */
  path: string;
  /** The raw query string, without "?". */
  query: string;
}

/** Undefined for anything but an origin-form target ("/path?query"): "*", "host:port", "http://host/path". */
export function parseRequestTarget(rawUrl: string): RequestTarget | undefined {
  if (!rawUrl.startsWith("/")) return undefined;
  const q = rawUrl.indexOf("?");
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  return { path: removeDotSegments(decodeUnreserved(rawPath)), query: q < 0 ? "" : rawUrl.slice(q + 1) };
}

function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x2d || // -
    code === 0x2e || // .
    code === 0x5f || // _
    code === 0x7e // ~
  );
}

/** Decodes %XX escapes of unreserved characters; other escapes (and malformed ones) stay as they are. */
export function decodeUnreserved(path: string): string {
  if (!path.includes("%")) return path;
  return path.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const code = Number.parseInt(hex, 16);
    return isUnreserved(code) ? String.fromCharCode(code) : escape;
  });
}

/** RFC 3986 §5.2.4 on an absolute path: "/a/./b/../c" is "/a/c"; ".." never climbs above "/". */
export function removeDotSegments(path: string): string {
  if (!/(^|\/)\.\.?(\/|$)/.test(path)) return path;
  const input = path.split("/").slice(1);
  const output: string[] = [];
  input.forEach((segment, i) => {
    const last = i === input.length - 1;
    if (segment === "." || segment === "..") {
      if (segment === "..") output.pop();
      // A path ending in a dot segment names a directory: "/a/b/.." is "/a/".
      if (last) output.push("");
    } else output.push(segment);
  });
  return `/${output.join("/")}`;
}

/**
 * host[:port]: a registered name (letters, digits, ".", "-", "_"), an IPv4 address or a bracketed IPv6
 * address, and an optional port up to 65535.
 */
const HOST_AND_PORT = /^(?:\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9_][A-Za-z0-9._-]{0,252})(?::([0-9]{1,5}))?$/;

/** The Host header if it is a valid host[:port], else undefined (never reflect anything else into URLs). */
export function validHost(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const match = HOST_AND_PORT.exec(value);
  if (!match || (match[1] !== undefined && Number(match[1]) > 65535)) return undefined;
  try {
    new URL(`http://${value}/`);
  } catch {
    return undefined;
  }
  return value;
}
