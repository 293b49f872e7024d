/**
 * A throwaway HTTP server on 127.0.0.1 and a free port, for tests of HTTP
 * sensors and targets.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A running server; `close` also drops open (hanging) connections and is idempotent. */
export interface LocalHttpServer {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  close(): Promise<void>;
}

/** Starts a server with `handler` (which receives the request body as text). */
export async function startLocalHttpServer(
  handler: (request: IncomingMessage, body: string, response: ServerResponse) => void,
): Promise<LocalHttpServer> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => handler(request, Buffer.concat(chunks).toString("utf8"), response));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    origin: `http://127.0.0.1:${port}`,
    close() {
      closing ??= new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedLocalPort(): Promise<number> {
  const server = await startLocalHttpServer((_request, _body, response) => response.end());
  const port = Number(new URL(server.origin).port);
  await server.close();
  return port;
}

/** Sends `value` as a JSON response with `status`. */
export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(value));
}
