/**
 * Security of `airlock serve` over real HTTP: the token matrix (no token,
 * wrong token, read token, another consumer's ack token, a token in the
 * query string — all refused, and no refused call changes anything), the
 * policy for plans submitted over the API (no command kinds, URLs only under
 * the operator's allowlist, no server environment), and that no token ever
 * appears in the server's output, its answers or the event log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fleetPlan } from "../../src/api/testing-plans.ts";
import { request, type ServeProcess, startServeProcess, type TestResponse } from "../../src/api/testing-serve.ts";
import { waitUntil } from "../services/wait-until.ts";

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
  readonly errors?: readonly { line: number; column: number; path: string; message: string }[];
}

const ALLOWED = "http://127.0.0.1:9/allowed/";
let serve: ServeProcess;
let operationId: string;
const answers: TestResponse[] = [];

async function send(method: string, path: string, options: Parameters<typeof request>[3] = {}): Promise<TestResponse> {
  const res = await request(serve.url, method, path, options);
  answers.push(res);
  return res;
}

beforeAll(async () => {
  serve = await startServeProcess(["--allow-url-prefix", ALLOWED, "--access-log"]);
  const plan = fleetPlan({
    name: "guarded",
    domain: "guarded",
    interval: "100ms",
    bakes: ["200ms", "60s", "60s"],
    consumers: ["billing", "search"],
  });
  const created = await send("POST", "/api/v1/operations", { token: serve.tokens.admin, body: plan });
  operationId = (created.json as { operation: { id: string } }).operation.id;
  await waitUntil(
    "guarded sealing stage 2",
    async () => {
      const res = await send("GET", `/api/v1/operations/${operationId}`, { token: serve.tokens.admin });
      return (res.json as { stages: { door: string }[] }).stages[1]?.door === "sealing";
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
});
afterAll(async () => {
  await serve?.stop();
});

const mutations = (): [string, string, unknown][] => [
  ["POST", "/api/v1/operations", fleetPlan({ name: "intruder", domain: "intruder" })],
  ["POST", `/api/v1/operations/${operationId}/halt`, { reason: "x" }],
  ["POST", `/api/v1/operations/${operationId}/resume`, {}],
  ["POST", `/api/v1/operations/${operationId}/rollback`, { reason: "x" }],
  ["POST", `/api/v1/operations/${operationId}/abandon`, { reason: "x" }],
  ["POST", `/api/v1/operations/${operationId}/advance`, { force: true, reason: "x" }],
  ["POST", `/api/v1/operations/${operationId}/ack`, { consumer: "search" }],
  ["POST", "/api/v1/domains/guarded/freeze", { reason: "x" }],
  ["DELETE", "/api/v1/domains/guarded/freeze", undefined],
];

const reads = (): string[] => [
  "/api/v1/operations",
  `/api/v1/operations/${operationId}`,
  `/api/v1/operations/${operationId}/events`,
  `/api/v1/operations/${operationId}/telemetry`,
  "/api/v1/domains/guarded/freeze",
  "/metrics",
];

describe("the token matrix", () => {
  it("refuses every mutation without a token, with a wrong token, with a read token, or with an ack token", async () => {
    const wrong = `${serve.tokens.admin.slice(0, -1)}${serve.tokens.admin.endsWith("0") ? "1" : "0"}`;
    for (const [method, path, body] of mutations()) {
      const noToken = await send(method, path, { body });
      expect(noToken.status, `${method} ${path} without a token`).toBe(401);
      expect(noToken.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect((await send(method, path, { body, token: wrong })).status, `${method} ${path} wrong token`).toBe(401);
      expect(
        (await send(method, path, { body, token: serve.tokens.read })).status,
        `${method} ${path} read token`,
      ).toBe(403);
      const ack = await send(method, path, { body, token: serve.tokens.billing });
      expect(ack.status, `${method} ${path} billing's ack token`).toBe(403);
    }
    const malformed = await send("POST", `/api/v1/operations/${operationId}/halt`, {
      body: { reason: "x" },
      headers: { authorization: `Basic ${serve.tokens.admin}` },
    });
    expect(malformed.status).toBe(401);
  });

  it("lets an ack token acknowledge only for its own consumer", async () => {
    const other = await send("POST", `/api/v1/operations/${operationId}/ack`, {
      token: serve.tokens.billing,
      body: { consumer: "search" },
    });
    expect(other.status).toBe(403);
    expect((other.json as ErrorBody).error.field).toBe("consumer");
    const own = await send("POST", `/api/v1/operations/${operationId}/ack`, {
      token: serve.tokens.search,
      body: { consumer: "search", reason: "search index rebuilt" },
    });
    expect(own.status).toBe(202);
  });

  it("refuses a token in the query string, even a valid one under any parameter name", async () => {
    for (const query of [
      `token=${serve.tokens.admin}`,
      `access_token=${serve.tokens.read}`,
      `x=${serve.tokens.admin}`,
    ]) {
      const read = await send("GET", `/api/v1/operations?${query}`, { token: serve.tokens.admin });
      expect(read.status, query).toBe(400);
      expect((read.json as ErrorBody).error.code).toBe("token-in-query");
      const halt = await send("POST", `/api/v1/operations/${operationId}/halt?${query}`, {
        token: serve.tokens.admin,
        body: { reason: "via query" },
      });
      expect(halt.status, query).toBe(400);
    }
    expect((await send("GET", `/?token=${serve.tokens.admin}`)).status).toBe(400);
  });

  it("changed nothing through any refused call", async () => {
    type Logged = { type: string; data: { actor?: string } };
    let events: Logged[] = [];
    await waitUntil(
      "the accepted ack recorded",
      async () => {
        const res = await send("GET", `/api/v1/operations/${operationId}/events?limit=1000`, {
          token: serve.tokens.admin,
        });
        events = (res.json as { events: Logged[] }).events;
        return events.some((e) => e.type === "Acked");
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(events.map((e) => e.type)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(Halted|Resumed|RollbackStarted|Abandoned|StageForced)$/)]),
    );
    expect(events.filter((e) => e.type === "Acked").map((e) => e.data.actor)).toEqual(["search"]);
    const ops = await send("GET", "/api/v1/operations?plan=intruder", { token: serve.tokens.admin });
    expect((ops.json as { operations: unknown[] }).operations).toEqual([]);
    const freeze = await send("GET", "/api/v1/domains/guarded/freeze", { token: serve.tokens.admin });
    expect(freeze.json).toMatchObject({ frozen: false });
  });

  it("needs a token for every read; a read token and an ack token may read", async () => {
    for (const path of reads()) {
      expect((await send("GET", path)).status, `${path} without a token`).toBe(401);
      expect((await send("GET", path, { token: serve.tokens.read })).status, `${path} read token`).toBe(200);
      expect((await send("GET", path, { token: serve.tokens.billing })).status, `${path} ack token`).toBe(200);
    }
    const stream = await fetch(`${serve.url}/api/v1/operations/${operationId}/stream`);
    expect(stream.status).toBe(401);
    for (const path of ["/healthz", "/readyz", "/api/v1/openapi.json", "/", "/app.js"]) {
      expect((await send("GET", path)).status, path).toBe(200);
    }
  });

  it("sends no CORS headers when no origin is configured", async () => {
    const res = await send("GET", "/api/v1/operations", {
      token: serve.tokens.read,
      headers: { origin: "https://anywhere.example" },
    });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await send("OPTIONS", "/api/v1/operations", { headers: { origin: "https://anywhere.example" } });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("plans submitted over the API", () => {
  const submit = (plan: Record<string, unknown>) =>
    send("POST", "/api/v1/operations", { token: serve.tokens.admin, body: plan });
  const base = () => fleetPlan({ name: "submitted", domain: "submitted", interval: "100ms" });

  it("refuses a command target with a clear reason at its position", async () => {
    const res = await submit({
      ...base(),
      target: { kind: "command", apply: ["sh", "-c", "echo pwned"] },
      stages: [{ name: "one", action: { type: "run" }, gates: { bake: "1s" } }],
    });
    expect(res.status).toBe(403);
    const body = res.json as ErrorBody;
    expect(body.error.code).toBe("plan-not-allowed");
    expect(body.error.message).toMatch(/command target runs programs on the server/);
    expect(body.errors?.[0]).toMatchObject({ path: "target.kind" });
    expect(body.errors?.[0]?.line).toBeGreaterThan(0);
  });

  it("refuses a command sensor", async () => {
    const plan = base();
    const res = await submit({
      ...plan,
      sensors: { ...(plan.sensors as object), probe: { kind: "command", command: ["id"] } },
    });
    expect(res.status).toBe(403);
    expect((res.json as ErrorBody).errors?.map((e) => e.path)).toEqual(
      expect.arrayContaining(["sensors.probe.kind", "sensors.probe.command"]),
    );
  });

  it("refuses URLs outside the allowlist (compared by host, not by text) and accepts those inside", async () => {
    const withUrl = (url: string, i: number) => {
      const plan = base();
      return { ...plan, name: `url-${i}`, sensors: { ...(plan.sensors as object), stats: { kind: "http", url } } };
    };
    for (const [i, url] of [
      "http://169.254.169.254/latest/meta-data/",
      "http://127.0.0.1:9/allowed.evil/",
      "http://127.0.0.1:9@evil.example/allowed/",
      "http://127.0.0.1:99/allowed/",
      "https://127.0.0.1:9/allowed/",
    ].entries()) {
      const res = await submit(withUrl(url, i));
      expect(res.status, url).toBe(403);
      expect((res.json as ErrorBody).errors?.[0]).toMatchObject({ path: "sensors.stats.url" });
      expect((res.json as ErrorBody).errors?.[0]?.message).toMatch(/outside the server's URL allowlist/);
    }
    expect((await submit(withUrl(`${ALLOWED}stats.json`, 99))).status).toBe(201);
  });

  it("refuses references to the server's environment (they could carry its secrets out)", async () => {
    const plan = base();
    const res = await submit({
      ...plan,
      sensors: {
        ...(plan.sensors as object),
        stats: { kind: "http", url: `${ALLOWED}x`, headers: { authorization: `Bearer $\{AIRLOCK_TOKEN}` } },
      },
    });
    expect(res.status).toBe(403);
    expect((res.json as ErrorBody).errors?.[0]).toMatchObject({ path: "sensors.stats.headers.authorization" });
  });
});

describe("secrets", () => {
  it("never shows a token in the server's output, its answers or the event log", async () => {
    const events = await send("GET", `/api/v1/operations/${operationId}/events?limit=1000`, {
      token: serve.tokens.admin,
    });
    const everything = [serve.output(), ...answers.map((a) => a.text), events.text].join("\n");
    expect(serve.output()).toMatch(/GET \/api\/v1\/operations 400/);
    for (const [name, token] of Object.entries(serve.tokens)) {
      expect(everything.includes(token), `${name} token leaked`).toBe(false);
    }
  });
});
