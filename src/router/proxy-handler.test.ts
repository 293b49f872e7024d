import { Agent, request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { ServerConfig } from "./backend.ts";
import { eventually, send, startNamedBackend, startTestBackend, type TestBackend } from "./router-test-support.ts";
import { type RunningRouter, startRouter } from "./start-router.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function backend(started: Promise<TestBackend>): Promise<TestBackend> {
  const value = await started;
  cleanups.push(() => value.close());
  return value;
}

async function router(servers: ServerConfig[]): Promise<RunningRouter> {
  const value = await startRouter({ listenPort: 0, adminPort: 0, servers, healthCheck: false });
  cleanups.push(() => value.close());
  return value;
}

function stat(running: RunningRouter, name: string) {
  const found = running.control.servers().find((server) => server.name === name);
  if (found === undefined) throw new Error(`no server ${name}`);
  return found;
}

/** A backend that holds each request until the test releases it. */
async function holdingBackend() {
  const waiting: (() => void)[] = [];
  const closed: boolean[] = [];
  const server = await backend(
    startTestBackend((req, res) => {
      req.resume();
      res.on("close", () => closed.push(!res.writableFinished));
      waiting.push(() => res.end("held"));
    }),
  );
  return { server, waiting, abortedOnBackend: () => closed.filter(Boolean).length };
}

describe("built-in router: load balancing", () => {
  it("splits sequential requests exactly by weight", async () => {
    const names = ["a", "b", "c"];
    const backends = await Promise.all(names.map((name) => backend(startNamedBackend(name))));
    const weights = [3, 2, 1];
    const running = await router(
      names.map((name, i) => ({ name, url: backends[i]?.url ?? "", weight: weights[i] ?? 0 })),
    );
    const served: Record<string, number> = {};
    for (let i = 0; i < 60; i += 1) {
      const { body } = await send(running.url);
      served[body] = (served[body] ?? 0) + 1;
    }
    expect(served).toEqual({ a: 30, b: 20, c: 10 });
    expect(names.map((name) => stat(running, name).requestsTotal)).toEqual([30, 20, 10]);
  });

  it("sends nothing to a server at weight 0 or in maint, and answers 503 when no server is eligible", async () => {
    const [a, b] = await Promise.all([backend(startNamedBackend("a")), backend(startNamedBackend("b"))]);
    const running = await router([
      { name: "a", url: a.url, weight: 1 },
      { name: "b", url: b.url, weight: 1 },
    ]);
    running.control.setWeight("a", 0);
    const bodies = await Promise.all(Array.from({ length: 6 }, () => send(running.url).then((r) => r.body)));
    expect(new Set(bodies)).toEqual(new Set(["b"]));
    running.control.setState("b", "maint");
    const refused = await send(running.url);
    expect(refused.status).toBe(503);
    expect(running.control.info().noServerTotal).toBe(1);
  });
});

describe("built-in router: streaming", () => {
  it("delivers the first chunk of a response before the backend has finished it", async () => {
    let finish: () => void = () => {};
    const slow = await backend(
      startTestBackend((req, res) => {
        req.resume();
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("first;");
        finish = () => res.end("last");
      }),
    );
    const running = await router([{ name: "slow", url: slow.url, weight: 1 }]);
    const body = await new Promise<string>((resolve, reject) => {
      request(running.url, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          text += chunk.toString();
          if (text === "first;") finish();
        });
        res.on("end", () => resolve(text));
      })
        .on("error", reject)
        .end();
    });
    expect(body).toBe("first;last");
  });

  it("delivers the first chunk of an upload before the client has finished it", async () => {
    let sawFirstChunk: () => void = () => {};
    const firstChunkArrived = new Promise<void>((resolve) => {
      sawFirstChunk = resolve;
    });
    const sink = await backend(
      startTestBackend((req, res) => {
        let bytes = 0;
        req.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          sawFirstChunk();
        });
        req.on("end", () => res.end(String(bytes)));
      }),
    );
    const running = await router([{ name: "sink", url: sink.url, weight: 1 }]);
    const upload = request(running.url, { method: "POST" });
    const answer = new Promise<string>((resolve) => {
      upload.on("response", (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on("end", () => resolve(text));
      });
    });
    upload.write(Buffer.alloc(64 * 1024, 1));
    await firstChunkArrived;
    for (let i = 0; i < 127; i += 1) upload.write(Buffer.alloc(64 * 1024, 1));
    upload.end();
    expect(await answer).toBe(String(128 * 64 * 1024));
  });

  it("streams an 8 MiB response intact", async () => {
    const big = await backend(
      startTestBackend((req, res) => {
        req.resume();
        for (let i = 0; i < 128; i += 1) res.write(Buffer.alloc(64 * 1024, 97));
        res.end();
      }),
    );
    const running = await router([{ name: "big", url: big.url, weight: 1 }]);
    const response = await send(running.url);
    expect(response.body.length).toBe(8 * 1024 * 1024);
    expect(stat(running, "big").errorsTotal).toBe(0);
  });
});

describe("built-in router: failures", () => {
  it("answers 502 and counts an error against a backend that refuses connections", async () => {
    const gone = await startNamedBackend("gone");
    await gone.close();
    const running = await router([{ name: "gone", url: gone.url, weight: 1 }]);
    const response = await send(running.url);
    expect(response.status).toBe(502);
    expect(response.headers["x-router-error"]).toBe("connect-refused");
    expect(stat(running, "gone")).toMatchObject({ requestsTotal: 1, errorsTotal: 1, currentSessions: 0 });
  });

  it("answers 502 and counts an error when the backend resets the connection", async () => {
    const rude = await backend(startTestBackend((req) => req.socket.destroy()));
    const running = await router([{ name: "rude", url: rude.url, weight: 1 }]);
    const response = await send(running.url);
    expect(response.status).toBe(502);
    expect(stat(running, "rude").errorsTotal).toBe(1);
  });

  it("passes a backend's 500 through and counts it as that backend's error", async () => {
    const failing = await backend(
      startTestBackend((req, res) => {
        req.resume();
        res.writeHead(500).end("boom");
      }),
    );
    const running = await router([{ name: "failing", url: failing.url, weight: 1 }]);
    const response = await send(running.url);
    expect(response).toMatchObject({ status: 500, body: "boom" });
    expect(stat(running, "failing")).toMatchObject({ requestsTotal: 1, errorsTotal: 1 });
  });

  it("truncates the client's response and counts an error when the backend breaks off mid-body", async () => {
    const breaking = await backend(
      startTestBackend((req, res) => {
        req.resume();
        res.writeHead(200, { "content-length": "100" });
        res.write("partial", () => res.destroy());
      }),
    );
    const running = await router([{ name: "breaking", url: breaking.url, weight: 1 }]);
    const response = await send(running.url);
    expect(response.error).toBeDefined();
    await eventually(() => stat(running, "breaking").errorsTotal === 1);
    expect(stat(running, "breaking").currentSessions).toBe(0);
  });

  it("aborts the upstream request when the client goes away, without counting an error", async () => {
    const holding = await holdingBackend();
    const running = await router([{ name: "held", url: holding.server.url, weight: 1 }]);
    const client = request(running.url);
    client.on("error", () => {});
    client.end();
    await eventually(() => holding.waiting.length === 1);
    client.destroy();
    await eventually(() => holding.abortedOnBackend() === 1);
    await eventually(() => stat(running, "held").currentSessions === 0);
    expect(stat(running, "held")).toMatchObject({ requestsTotal: 1, errorsTotal: 0 });
  });
});

describe("built-in router: stale keep-alive connections", () => {
  /** A backend that resets a kept-alive connection instead of answering its second request. */
  function resettingBackend() {
    const served = new WeakMap<object, number>();
    return backend(
      startTestBackend((req, res) => {
        const count = (served.get(req.socket) ?? 0) + 1;
        served.set(req.socket, count);
        if (count > 1) {
          req.socket.destroy();
          return;
        }
        req.resume();
        req.on("end", () => res.end("fresh"));
      }),
    );
  }

  it("replays a bodyless GET once on a fresh connection when a reused one turns out closed", async () => {
    const resetting = await resettingBackend();
    const running = await router([{ name: "resetting", url: resetting.url, weight: 1 }]);
    expect(await send(running.url)).toMatchObject({ status: 200, body: "fresh" });
    expect(await send(running.url)).toMatchObject({ status: 200, body: "fresh" });
    expect(resetting.connections()).toBe(2);
    expect(stat(running, "resetting")).toMatchObject({ requestsTotal: 2, errorsTotal: 0 });
  });

  it("never replays a request with a body: it fails with 502 and counts an error", async () => {
    const resetting = await resettingBackend();
    const running = await router([{ name: "resetting", url: resetting.url, weight: 1 }]);
    expect((await send(running.url, { method: "POST", body: "one" })).status).toBe(200);
    const second = await send(running.url, { method: "POST", body: "two" });
    expect(second).toMatchObject({ status: 502, headers: { "x-router-error": "reset" } });
    expect(stat(running, "resetting").errorsTotal).toBe(1);
  });
});

describe("built-in router: drain", () => {
  it("lets in-flight requests on a draining server finish while new requests go elsewhere", async () => {
    const holding = await holdingBackend();
    const other = await backend(startNamedBackend("other"));
    const running = await router([
      { name: "held", url: holding.server.url, weight: 1 },
      { name: "other", url: other.url, weight: 1 },
    ]);
    const inFlight = send(running.url);
    await eventually(() => holding.waiting.length === 1);
    running.control.setState("held", "drain");
    expect(stat(running, "held")).toMatchObject({ status: "DRAIN", currentSessions: 1 });
    const during = await Promise.all(Array.from({ length: 5 }, () => send(running.url).then((r) => r.body)));
    expect(during).toEqual(["other", "other", "other", "other", "other"]);
    expect(stat(running, "held").requestsTotal).toBe(1);
    for (const release of holding.waiting) release();
    expect(await inFlight).toMatchObject({ status: 200, body: "held" });
    expect(stat(running, "held")).toMatchObject({ currentSessions: 0, errorsTotal: 0 });
  });

  it("reports each in-flight request with its server", async () => {
    const holding = await holdingBackend();
    const running = await router([{ name: "held", url: holding.server.url, weight: 1 }]);
    const inFlight = send(running.url);
    await eventually(() => holding.waiting.length === 1);
    expect(running.control.sessions()).toEqual([expect.objectContaining({ server: "held" })]);
    for (const release of holding.waiting) release();
    await inFlight;
    expect(running.control.sessions()).toEqual([]);
  });
});

describe("built-in router: keep-alive", () => {
  it("reuses one client connection and one backend connection for sequential requests", async () => {
    const counted = await backend(startNamedBackend("counted"));
    const running = await router([{ name: "counted", url: counted.url, weight: 1 }]);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(async () => agent.destroy());
    const responses = [];
    for (let i = 0; i < 20; i += 1) responses.push(await send(running.url, { agent }));
    expect(responses.map((r) => r.reusedSocket)).toEqual([false, ...Array<boolean>(19).fill(true)]);
    expect(counted.connections()).toBe(1);
    expect(stat(running, "counted").openConnections).toBe(1);
  });
});
