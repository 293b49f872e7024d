/**
 * Helpers for the router's tests: raw HTTP backends with scripted behaviour
 * and a small HTTP client. Loopback only.
 */
import { type Agent, createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A scripted backend on a free loopback port. */
export interface TestBackend {
  readonly url: string;
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Start a backend that answers with `handler`. */
export async function startTestBackend(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestBackend> {
  let connections = 0;
  const server = createServer(handler);
  server.on("connection", () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A backend that answers `200 <name>`. */
export function startNamedBackend(name: string): Promise<TestBackend> {
  return startTestBackend((req, res) => {
    req.resume();
    res.end(name);
  });
}

/** A finished exchange. `error` is set when the response broke off. */
export interface TestResponse {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
  readonly reusedSocket: boolean;
  readonly error?: string;
}

/** Send one request and read the whole answer; never rejects on a broken response. */
export function send(
  url: string,
  options: { method?: string; body?: string; agent?: Agent } = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? "GET", ...(options.agent ? { agent: options.agent } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        const done = (error?: string): void =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            reusedSocket: req.reusedSocket,
            ...(error === undefined ? {} : { error }),
          });
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => done());
        res.on("error", (error) => done(error.message));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Poll `condition` every 10 ms until it holds; fails after `attempts` polls. */
export async function eventually(condition: () => boolean | Promise<boolean>, attempts = 500): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("condition never held");
}
