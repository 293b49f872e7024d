/** Where HAProxy's runtime API listens: a unix socket or a TCP address. */
export type RuntimeAddress =
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number };

/**
 * Parses a runtime API address as written in a plan: `/run/haproxy/admin.sock`,
 * `unix:/run/haproxy/admin.sock`, `tcp:127.0.0.1:9999` or `127.0.0.1:9999`
 * (`[::1]:9999` for IPv6). Pure; returns `undefined` when the text is neither.
 */
export function parseRuntimeAddress(text: string): RuntimeAddress | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith("unix:")) return unixAddress(trimmed.slice("unix:".length));
  if (trimmed.startsWith("/")) return unixAddress(trimmed);
  const hostPort = trimmed.startsWith("tcp:") ? trimmed.slice("tcp:".length) : trimmed;
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(hostPort);
  if (match === null) return undefined;
  const host = match[1] ?? match[2];
  const port = Number(match[3]);
  if (host === undefined || port < 1 || port > 65_535) return undefined;
  return { kind: "tcp", host, port };
}

/** Human form of an address for messages: the socket path or `host:port`. */
export function formatRuntimeAddress(address: RuntimeAddress): string {
  if (address.kind === "unix") return address.path;
  return address.host.includes(":") ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

function unixAddress(path: string): RuntimeAddress | undefined {
  return path.startsWith("/") ? { kind: "unix", path } : undefined;
}
