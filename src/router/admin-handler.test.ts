import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNamedBackend, type TestBackend } from "./router-test-support.ts";
import { type RunningRouter, startRouter } from "./start-router.ts";

const TOKEN = "admin-secret-for-tests";
let backends: TestBackend[] = [];
let running: RunningRouter;

beforeAll(async () => {
  backends = await Promise.all(["a", "b", "c"].map(startNamedBackend));
  running = await startRouter({
    listenPort: 0,
    adminPort: 0,
    adminToken: TOKEN,
    healthCheck: { intervalMs: 60_000 },
    servers: backends.slice(0, 2).map((backend, i) => ({ name: ["a", "b"][i] ?? "", url: backend.url, weight: 10 })),
  });
});

afterAll(async () => {
  await running.close();
  await Promise.all(backends.map((backend) => backend.close()));
});

async function admin(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const response = await fetch(`${running.adminUrl}${path}`, {
    method,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("built-in router admin API", () => {
  it("lists servers with their stats, health and in-flight detail without a token", async () => {
    const { status, body } = await admin("GET", "/servers", undefined, null);
    expect(status).toBe(200);
    expect(body.servers).toEqual([
      expect.objectContaining({
        name: "a",
        weight: 10,
        initialWeight: 10,
        adminState: "ready",
        status: "UP",
        inflight: [],
      }),
      expect.objectContaining({ name: "b", currentSessions: 0, queued: 0, requestsTotal: 0, errorsTotal: 0 }),
    ]);
  });

  it("refuses mutations without the right bearer token and never echoes it", async () => {
    const missing = await admin("PUT", "/servers/a/weight", { weight: 1 }, null);
    const wrong = await admin("PUT", "/servers/a/weight", { weight: 1 }, "guess");
    expect([missing.status, wrong.status]).toEqual([401, 401]);
    expect(JSON.stringify([missing.body, wrong.body])).not.toContain(TOKEN);
    expect(running.control.servers()[0]?.weight).toBe(10);
  });

  it("sets weight and state idempotently and reads them back", async () => {
    for (let i = 0; i < 2; i += 1) {
      expect((await admin("PUT", "/servers/a/weight", { weight: 42 })).status).toBe(200);
      expect((await admin("PUT", "/servers/a/state", { state: "drain" })).status).toBe(200);
    }
    const { body } = await admin("GET", "/servers");
    expect(body.servers).toContainEqual(
      expect.objectContaining({ name: "a", weight: 42, adminState: "drain", status: "DRAIN" }),
    );
    await admin("PUT", "/servers/a/state", { state: "ready" });
  });

  it("rejects invalid weights and states, and unknown servers", async () => {
    expect(await admin("PUT", "/servers/a/weight", { weight: 257 })).toMatchObject({
      status: 400,
      body: { error: "invalid-weight" },
    });
    expect(await admin("PUT", "/servers/a/weight", { weight: 1.5 })).toMatchObject({ status: 400 });
    expect(await admin("PUT", "/servers/a/state", { state: "off" })).toMatchObject({
      status: 400,
      body: { error: "invalid-state" },
    });
    expect(await admin("PUT", "/servers/zz/weight", { weight: 1 })).toMatchObject({
      status: 404,
      body: { error: "unknown-server" },
    });
    expect(await admin("PUT", "/servers/a/weight", "not an object")).toMatchObject({
      status: 400,
      body: { error: "parse" },
    });
  });

  it("adds a server after checking its health, idempotently, and removes it", async () => {
    const url = backends[2]?.url ?? "";
    const added = await admin("POST", "/servers", { name: "c", url, weight: 5 });
    expect(added).toMatchObject({ status: 200, body: { server: { name: "c", status: "UP", weight: 5 } } });
    expect((await admin("POST", "/servers", { name: "c", url, weight: 5 })).status).toBe(200);
    expect((await admin("POST", "/servers", { name: "c", url: "http://127.0.0.1:1", weight: 5 })).status).toBe(409);
    expect(await admin("DELETE", "/servers/c")).toMatchObject({ status: 200, body: { removed: true } });
    expect(await admin("DELETE", "/servers/c")).toMatchObject({ status: 200, body: { removed: false } });
    expect(running.control.servers().map((server) => server.name)).toEqual(["a", "b"]);
  });

  it("marks a newly added unreachable server DOWN", async () => {
    const added = await admin("POST", "/servers", { name: "dead", url: "http://127.0.0.1:1", weight: 5 });
    expect(added).toMatchObject({ status: 200, body: { server: { status: "DOWN" } } });
    await admin("DELETE", "/servers/dead");
  });

  it("reports a stable start time", async () => {
    const first = await admin("GET", "/info");
    const second = await admin("GET", "/info");
    expect(first.body.startedAtMs).toBe(second.body.startedAtMs);
    expect(second.body.nowMs).toBeGreaterThanOrEqual(first.body.nowMs as number);
  });
});
