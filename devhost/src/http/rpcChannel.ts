/**
 * The Durable client's local RPC channel (the durableClient binding's `rpcBaseUrl`). The real extension opens
 * its own Kestrel listener at http://127.0.0.1:17071/durabletask/ (LocalHttpListener.cs in
 * azure-functions-durable-extension), so only processes on the same machine reach it, and it checks no key.
 * The devhost serves it on its own port under RPC_PATH and answers loopback callers only, keyless; the public
 * management API stays under /runtime/webhooks/durabletask, where keys apply.
 */
import { BlockList, isIP, isIPv6 } from "node:net";

/** The path of the channel, as the real extension's InternalRpcUri has it. */
export const RPC_PATH = "/durabletask";

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** True for 127.0.0.0/8 and ::1, in any spelling (IPv4-mapped ::ffff:127.x included). */
export function isLoopbackAddress(address: string | undefined): boolean {
  const family = address ? isIP(address) : 0;
  if (!address || family === 0) return false;
  return LOOPBACK.check(address, family === 6 ? "ipv6" : "ipv4");
}

/**
 * The channel's base URL for a server bound to `address`: on the loopback address it listens on, or
 * 127.0.0.1 when it listens on every interface. Undefined when it listens on one non-loopback address only
 * (no loopback caller can reach it): the binding then has no rpcBaseUrl, as when the extension's
 * `localRpcEndpointEnabled` is false, and the SDK uses the public URLs with the system key.
 */
export function rpcBaseUrlFor(address: string, port: number): string | undefined {
  let host: string;
  if (address === "0.0.0.0" || address === "::") host = "127.0.0.1";
  else if (isLoopbackAddress(address)) host = isIPv6(address) ? `[${address}]` : address;
  else return undefined;
  return `http://${host}:${port}${RPC_PATH}/`;
}
