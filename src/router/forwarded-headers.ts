/**
 * Header rewriting for the built-in router: hop-by-hop headers (RFC 9110
 * §7.6.1) apply to one connection only and are never forwarded.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  // The router already answered `100 Continue` to the client itself.
  "expect",
]);

/** Copy `headers` without hop-by-hop headers and without the headers `Connection` names. */
export function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? "")
      .split(",")
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ""),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Whether a request carries a body (a non-zero length or a chunked transfer). */
export function hasRequestBody(headers: IncomingHttpHeaders): boolean {
  if (headers["transfer-encoding"] !== undefined) return true;
  const length = headers["content-length"];
  return length !== undefined && length !== "0";
}

/**
 * Headers for the upstream request: hop-by-hop removed, the client address
 * appended to `X-Forwarded-For`, and chunked framing set explicitly for a body
 * of unknown length (Node would not chunk a GET or DELETE by itself).
 */
export function upstreamRequestHeaders(
  headers: IncomingHttpHeaders,
  clientAddress: string | undefined,
): OutgoingHttpHeaders {
  const out = withoutHopByHop(headers);
  const previous = headers["x-forwarded-for"];
  if (clientAddress !== undefined) {
    out["x-forwarded-for"] = previous === undefined ? clientAddress : `${previous}, ${clientAddress}`;
  }
  out["x-forwarded-proto"] = "http";
  if (hasRequestBody(headers) && headers["content-length"] === undefined) out["transfer-encoding"] = "chunked";
  return out;
}
