/**
 * The HTTP API over real HTTP against a real `airlock serve` process with a
 * SQLite store: every endpoint, and every error path (bad JSON, wrong types,
 * unknown fields, oversized and non-JSON bodies, unknown operations and
 * routes, wrong methods).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { fleetPlan } from "../../src/api/testing-plans.ts";
import { request, type ServeProcess, startServeProcess } from "../../src/api/testing-serve.ts";
import { type LocalHttpServer, startLocalHttpServer } from "../../src/util/local-http-server.ts";
import { waitUntil } from "../services/wait-until.ts";

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
  readonly errors?: readonly { line: number; column: number; path: string; message: string }[];
}
interface Detail {
  readonly id: string;
  readonly status: string;
  readonly phase: string;
  readonly explanation: string;
  readonly stages: readonly { name: string; door: string }[];
  readonly halt?: { code: string; evidence: unknown };
}
interface Event {
  readonly seq: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

let serve: ServeProcess;
let receiver: LocalHttpServer;
const notifications: { event: string; operation: string; text: string }[] = [];
const CORS_ORIGIN = "https://ops.example.test";

beforeAll(async () => {
  receiver = await startLocalHttpServer((_req, body, res) => {
    notifications.push(JSON.parse(body));
    res.writeHead(204).end();
  });
  serve = await startServeProcess(["--heartbeat", "300ms", "--cors-origin", CORS_ORIGIN], {
    env: { AIRLOCK_NOTIFY_WEBHOOK: `${receiver.origin}/hooks/airlock`, AIRLOCK_NOTIFY_FORMAT: "json" },
  });
});
afterAll(async () => {
  await serve?.stop();
  await receiver?.close();
});

const admin = () => serve.tokens.admin;
const call = (method: string, path: string, options: Parameters<typeof request>[3] = {}) =>
  request(serve.url, method, path, { token: admin(), ...options });

async function submit(plan: Record<string, unknown>): Promise<Detail> {
  const res = await call("POST", "/api/v1/operations", { body: plan });
  expect(res.status, res.text).toBe(201);
  return (res.json as { operation: Detail }).operation;
}

async function detail(id: string): Promise<Detail> {
  return (await call("GET", `/api/v1/operations/${id}`)).json as Detail;
}

async function events(id: string): Promise<Event[]> {
  return ((await call("GET", `/api/v1/operations/${id}/events?limit=1000`)).json as { events: Event[] }).events;
}

async function waitFor(id: string, what: string, check: (d: Detail) => boolean): Promise<Detail> {
  let last: Detail | undefined;
  await waitUntil(
    `${id} ${what}`,
    async () => {
      last = await detail(id);
      return check(last);
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  if (last === undefined) throw new Error("unreachable");
  return last;
}

const quick = (name: string) =>
  fleetPlan({ name, domain: `dom-${name}`, interval: "100ms", bakes: ["200ms", "200ms", "200ms"] });
const slow = (name: string) =>
  fleetPlan({ name, domain: `dom-${name}`, interval: "100ms", bakes: ["200ms", "60s", "60s"] });

describe("probes and the API description", () => {
  it("answers /healthz and /readyz without a token", async () => {
    expect((await request(serve.url, "GET", "/healthz")).json).toEqual({ ok: true });
    expect((await request(serve.url, "GET", "/readyz")).json).toEqual({ ok: true, store: "reachable" });
  });

  it("serves an OpenAPI 3.1 document covering every route", async () => {
    const res = await request(serve.url, "GET", "/api/v1/openapi.json");
    const doc = res.json as { openapi: string; paths: Record<string, Record<string, unknown>>; components: object };
    expect(doc.openapi).toBe("3.1.0");
    const routes = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`));
    expect(routes.sort()).toEqual(
      [
        "get /healthz",
        "get /readyz",
        "get /metrics",
        "get /api/v1/openapi.json",
        "get /api/v1/operations",
        "post /api/v1/operations",
        "get /api/v1/operations/{id}",
        "get /api/v1/operations/{id}/events",
        "get /api/v1/operations/{id}/telemetry",
        "get /api/v1/operations/{id}/stream",
        ...["halt", "resume", "rollback", "abandon", "advance", "ack"].map((c) => `post /api/v1/operations/{id}/${c}`),
        "get /api/v1/domains/{name}/freeze",
        "post /api/v1/domains/{name}/freeze",
        "delete /api/v1/domains/{name}/freeze",
      ].sort(),
    );
    const halt = doc.paths["/api/v1/operations/{id}/halt"]?.post as { requestBody: unknown; responses: object };
    expect(JSON.stringify(halt.requestBody)).toContain('"reason"');
    expect(Object.keys(halt.responses)).toEqual(expect.arrayContaining(["202", "400", "401", "403", "404", "409"]));
    expect(JSON.stringify(doc.components)).toContain('"Plan"');
  });

  it("serves the dashboard and uPlot without a token", async () => {
    const page = await request(serve.url, "GET", "/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.text).toContain("/app.js");
    expect((await request(serve.url, "GET", "/vendor/uplot/uPlot.esm.js")).status).toBe(200);
    expect((await request(serve.url, "GET", "/../package.json")).status).toBe(404);
  });
});

describe("operations", () => {
  it("creates an operation from a JSON plan (201) and attaches a resubmission of the same plan to it (200)", async () => {
    const first = await call("POST", "/api/v1/operations", { body: slow("attach") });
    expect(first.status).toBe(201);
    const again = await call("POST", "/api/v1/operations", { body: slow("attach") });
    expect(again.status).toBe(200);
    const a = first.json as { created: boolean; operation: Detail };
    const b = again.json as { created: boolean; operation: Detail };
    expect([a.created, b.created]).toEqual([true, false]);
    expect(b.operation.id).toBe(a.operation.id);
    const conflict = await call("POST", "/api/v1/operations", { body: { ...slow("attach"), interval: "200ms" } });
    expect(conflict.status).toBe(409);
  });

  it("accepts a YAML plan and runs it through its stages to completion", async () => {
    const res = await call("POST", "/api/v1/operations", {
      body: stringify(quick("yaml-run"), { aliasDuplicateObjects: false }),
      contentType: "application/yaml",
    });
    expect(res.status).toBe(201);
    const { id } = (res.json as { operation: Detail }).operation;
    const done = await waitFor(id, "completed", (d) => d.status === "completed");
    expect(done.stages.map((s) => s.door)).toEqual(["sealed", "sealed", "sealed"]);
    expect((await events(id)).map((e) => e.type)).toEqual(
      expect.arrayContaining(["OperationStarted", "StageSealed", "OperationCompleted"]),
    );
    await waitUntil(
      "the completion notification",
      () => notifications.some((n) => n.operation === id && n.event === "OperationCompleted"),
      {
        timeoutMs: 10_000,
      },
    );
    const mine = notifications.filter((n) => n.operation === id);
    expect(mine.map((n) => n.event)).toEqual(["StageSealed", "StageSealed", "StageSealed", "OperationCompleted"]);
    expect(mine[0]?.text).toMatch(/^yaml-run \(.+\): stage 1\/3 canary sealed after \d+\.\ds$/);
    expect(serve.output()).not.toContain("/hooks/airlock");
  });

  it("refuses an invalid plan with every error positioned (400)", async () => {
    const plan = quick("broken");
    const res = await call("POST", "/api/v1/operations", {
      body: stringify(
        { ...plan, interval: "soon", stages: [{ name: "x", action: { type: "nope" } }] },
        { aliasDuplicateObjects: false },
      ),
      contentType: "application/yaml",
    });
    expect(res.status).toBe(400);
    const body = res.json as ErrorBody;
    expect(body.error.code).toBe("invalid-plan");
    expect(body.errors?.length).toBeGreaterThanOrEqual(2);
    expect(body.errors?.map((e) => e.path)).toEqual(expect.arrayContaining(["interval", "stages[0].action.type"]));
    for (const error of body.errors ?? []) expect(error.line).toBeGreaterThan(0);
    const syntax = await call("POST", "/api/v1/operations", { body: "name: [unclosed", contentType: "text/yaml" });
    expect(syntax.status).toBe(400);
    expect((syntax.json as ErrorBody).errors?.[0]?.message).toMatch(/YAML syntax/);
    expect((await call("POST", "/api/v1/operations", { body: "" })).status).toBe(400);
  });

  it("lists operations with filters and refuses bad filters naming the field", async () => {
    const op = await submit(slow("listed"));
    const byPlan = (await call("GET", "/api/v1/operations?plan=listed&live=true")).json as { operations: Detail[] };
    expect(byPlan.operations.map((o) => o.id)).toEqual([op.id]);
    const byDomain = (await call("GET", "/api/v1/operations?domain=dom-listed&limit=5")).json as {
      operations: Detail[];
    };
    expect(byDomain.operations.map((o) => o.id)).toEqual([op.id]);
    for (const [query, field] of [
      ["status=bogus", "query.status"],
      ["limit=0", "query.limit"],
      ["limit=ten", "query.limit"],
      ["live=maybe", "query.live"],
      ["colour=blue", "query.colour"],
    ] as const) {
      const res = await call("GET", `/api/v1/operations?${query}`);
      expect(res.status, query).toBe(400);
      expect((res.json as ErrorBody).error.field, query).toBe(field);
    }
  });

  it("shows one operation with its stages as doors, gate checks and explanation; 404 for an unknown one", async () => {
    const op = await submit(slow("shown"));
    const sealing = await waitFor(op.id, "sealing stage 2", (d) => d.stages[1]?.door === "sealing");
    expect(sealing.stages.map((s) => s.door)).toEqual(["sealed", "sealing", "pending"]);
    expect(sealing.explanation).toMatch(/stage 2\/3 half/);
    const missing = await call("GET", "/api/v1/operations/no-such-op");
    expect(missing.status).toBe(404);
    expect((missing.json as ErrorBody).error.code).toBe("operation-not-found");
    expect((await call("GET", "/api/v1/operations/no-such-op/events")).status).toBe(404);
    expect((await call("GET", "/api/v1/operations/no-such-op/telemetry")).status).toBe(404);
    expect((await call("GET", "/api/v1/operations/no-such-op/stream")).status).toBe(404);
  });

  it("pages through events with after and limit", async () => {
    const op = await submit(slow("paged"));
    await waitFor(op.id, "stage 1 sealed", (d) => d.stages[0]?.door === "sealed");
    const first = (await call("GET", `/api/v1/operations/${op.id}/events?limit=2`)).json as {
      events: Event[];
      nextAfter: number;
      hasMore: boolean;
    };
    expect(first.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(first).toMatchObject({ nextAfter: 2, hasMore: true });
    const second = (await call("GET", `/api/v1/operations/${op.id}/events?after=2&limit=2`)).json as {
      events: Event[];
    };
    expect(second.events.map((e) => e.seq)).toEqual([3, 4]);
    const bad = await call("GET", `/api/v1/operations/${op.id}/events?after=-1`);
    expect((bad.json as ErrorBody).error.field).toBe("query.after");
  });

  it("reports telemetry: gate sensor values and per-node error rates", async () => {
    const op = await submit(slow("telemetry"));
    await waitFor(op.id, "stage 1 sealed", (d) => d.stages[0]?.door === "sealed");
    const view = (await call("GET", `/api/v1/operations/${op.id}/telemetry`)).json as {
      gateSensors: { series: { sensor: string; values: (number | null)[] }[] };
      errorRates: { guard: string; nodes: { node: string; cohort: string; values: (number | null)[] }[] }[];
    };
    expect(view.gateSensors.series[0]?.sensor).toBe("inflight");
    expect(view.gateSensors.series[0]?.values.slice(0, 3)).toEqual([4, 2, 0]);
    expect(view.errorRates[0]?.nodes.map((n) => n.node).sort()).toEqual(["v1-a", "v1-b", "v1-c", "v2-a"]);
    expect(view.errorRates[0]?.nodes[0]?.values.filter((v) => v !== null)[0]).toBeCloseTo(0.01);
  });
});

describe("the event stream", () => {
  it("replays after Last-Event-ID, then streams live events and heartbeats", async () => {
    const op = await submit(slow("streamed"));
    await waitFor(op.id, "stage 1 sealed", (d) => d.stages[0]?.door === "sealed");
    const abort = new AbortController();
    const response = await fetch(`${serve.url}/api/v1/operations/${op.id}/stream`, {
      headers: { authorization: `Bearer ${admin()}`, "last-event-id": "2" },
      signal: abort.signal,
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    let text = "";
    const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
    const readUntil = async (pattern: RegExp): Promise<void> => {
      while (!pattern.test(text)) {
        const chunk = await reader?.read();
        if (chunk === undefined || chunk.done) throw new Error(`stream ended before ${pattern}: ${text}`);
        text += chunk.value;
      }
    };
    await readUntil(/event: StageSealed/);
    expect(text).not.toMatch(/^id: [12]$/m);
    expect(text).toMatch(/^id: 3$/m);
    await readUntil(/: heartbeat/);
    expect(
      (await call("POST", `/api/v1/operations/${op.id}/halt`, { body: { reason: "watching the stream" } })).status,
    ).toBe(202);
    await readUntil(/event: Halted\ndata: .*watching the stream/);
    abort.abort();
  });

  it("refuses a malformed Last-Event-ID", async () => {
    const op = await submit(slow("bad-last-id"));
    const res = await call("GET", `/api/v1/operations/${op.id}/stream`, { headers: { "last-event-id": "x" } });
    expect(res.status).toBe(400);
    expect((res.json as ErrorBody).error.field).toBe("Last-Event-ID");
  });
});

describe("manual commands", () => {
  it("halts, resumes, forces a stage and rolls back, recording the token holder as actor", async () => {
    const op = await submit(slow("commands"));
    await waitFor(op.id, "sealing stage 2", (d) => d.stages[1]?.door === "sealing");
    const halted = await call("POST", `/api/v1/operations/${op.id}/halt`, { body: { reason: "look closer" } });
    expect(halted.status).toBe(202);
    expect((halted.json as { queued: { actor: string; type: string } }).queued).toMatchObject({
      actor: "admin",
      type: "halt",
    });
    const h = await waitFor(op.id, "halted", (d) => d.status === "halted");
    expect(h.halt?.code).toBe("manual");
    expect((await call("POST", `/api/v1/operations/${op.id}/resume`, { body: {} })).status).toBe(202);
    await waitFor(op.id, "running again", (d) => d.status === "running");
    expect(
      (await call("POST", `/api/v1/operations/${op.id}/advance`, { body: { force: true, reason: "bake is long" } }))
        .status,
    ).toBe(202);
    await waitFor(op.id, "stage 2 forced", (d) => d.stages[1]?.door === "sealed");
    expect((await call("POST", `/api/v1/operations/${op.id}/rollback`, { body: { reason: "enough" } })).status).toBe(
      202,
    );
    await waitFor(op.id, "rolled back", (d) => d.status === "rolled_back");
    const log = await events(op.id);
    const byType = (type: string) => log.find((e) => e.type === type)?.data;
    expect(byType("Halted")).toMatchObject({ actor: "admin", reason: "look closer" });
    expect(byType("Resumed")).toMatchObject({ actor: "admin" });
    expect(byType("StageForced")).toMatchObject({ actor: "admin", reason: "bake is long" });
    expect(byType("RollbackStarted")).toMatchObject({ actor: "admin", reason: "enough" });
    const late = await call("POST", `/api/v1/operations/${op.id}/abandon`, { body: { reason: "too late" } });
    expect(late.status).toBe(409);
    expect((late.json as ErrorBody).error.code).toBe("operation-ended");
  });

  it("abandons with a reason and records acks per consumer", async () => {
    const op = await submit(slow("acked"));
    await waitFor(op.id, "sealing stage 2", (d) => d.stages[1]?.door === "sealing");
    const ack = await request(serve.url, "POST", `/api/v1/operations/${op.id}/ack`, {
      token: serve.tokens.billing,
      body: { consumer: "billing" },
    });
    expect(ack.status).toBe(202);
    const unknown = await call("POST", `/api/v1/operations/${op.id}/ack`, { body: { consumer: "nobody" } });
    expect(unknown.status).toBe(400);
    expect((unknown.json as ErrorBody).error.field).toBe("consumer");
    expect((await call("POST", `/api/v1/operations/${op.id}/abandon`, { body: { reason: "not needed" } })).status).toBe(
      202,
    );
    await waitFor(op.id, "abandoned", (d) => d.status === "abandoned");
    const log = await events(op.id);
    expect(log.find((e) => e.type === "Acked")?.data).toMatchObject({
      actor: "billing",
      consumer: "billing",
      stage: "half",
    });
    expect(log.find((e) => e.type === "Abandoned")?.data).toMatchObject({ actor: "admin", reason: "not needed" });
  });

  it("refuses bad bodies naming the field, unknown operations, and wrong methods", async () => {
    const op = await submit(slow("bad-bodies"));
    const path = `/api/v1/operations/${op.id}`;
    const cases: [string, Parameters<typeof request>[3], number, string, string?][] = [
      [`${path}/halt`, { body: "{not json" }, 400, "bad-json", "body"],
      [`${path}/halt`, { body: {} }, 400, "invalid-request", "reason"],
      [`${path}/halt`, { body: { reason: 5 } }, 400, "invalid-request", "reason"],
      [`${path}/halt`, { body: { reason: "   " } }, 400, "invalid-request", "reason"],
      [`${path}/halt`, { body: { reason: "x", extra: true } }, 400, "invalid-request", "extra"],
      [`${path}/advance`, { body: { reason: "x" } }, 400, "invalid-request", "force"],
      [`${path}/advance`, { body: { force: "yes", reason: "x" } }, 400, "invalid-request", "force"],
      [`${path}/ack`, { body: { consumer: 3 } }, 400, "invalid-request", "consumer"],
      [`${path}/halt`, { body: "reason=x", contentType: "text/plain" }, 415, "unsupported-media-type", "content-type"],
      [`${path}/halt`, { body: { reason: "x".repeat(1024 * 1024 + 10) } }, 413, "body-too-large", "body"],
      ["/api/v1/operations/nope/halt", { body: { reason: "x" } }, 404, "operation-not-found", "id"],
      ["/api/v1/domains/bad%20name/freeze", { body: { reason: "x" } }, 400, "invalid-request", "name"],
      ["/api/v1/domains/d/freeze", { body: { reason: "x", ttlMs: -1 } }, 400, "invalid-request", "ttlMs"],
    ];
    for (const [target, options, status, code, field] of cases) {
      const res = await call("POST", target, options);
      expect(res.status, `${target} ${JSON.stringify(options).slice(0, 80)}`).toBe(status);
      expect((res.json as ErrorBody).error.code).toBe(code);
      if (field !== undefined) expect((res.json as ErrorBody).error.field).toBe(field);
    }
    const oversizedPlan = await call("POST", "/api/v1/operations", {
      body: `# ${"x".repeat(1024 * 1024)}`,
      contentType: "text/yaml",
    });
    expect(oversizedPlan.status).toBe(413);
    const wrongMethod = await call("PUT", "/api/v1/operations");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET, POST");
    expect((await call("DELETE", path)).status).toBe(405);
    expect((await call("GET", `${path}/halt`)).status).toBe(405);
    const unknown = await call("GET", "/api/v1/nothing-here");
    expect(unknown.status).toBe(404);
    expect((unknown.json as ErrorBody).error.code).toBe("not-found");
    expect((await detail(op.id)).status).not.toBe("halted");
  });
});

describe("the freeze signal", () => {
  it("sets, reads and lifts a manual freeze; a TTL makes it expire", async () => {
    const frozen = await call("POST", "/api/v1/domains/payments/freeze", { body: { reason: "incident 42" } });
    expect(frozen.status).toBe(200);
    expect(frozen.json).toMatchObject({
      domain: "payments",
      frozen: true,
      reason: "incident 42",
      setBy: "manual:admin",
      expiresAtMs: null,
    });
    const read = await request(serve.url, "GET", "/api/v1/domains/payments/freeze", { token: serve.tokens.read });
    expect(read.json).toMatchObject({ frozen: true, reason: "incident 42" });
    const lifted = await call("DELETE", "/api/v1/domains/payments/freeze");
    expect(lifted.json).toMatchObject({ frozen: false, reason: null, setBy: null, expiresAtMs: null });
    const timed = (await call("POST", "/api/v1/domains/search/freeze", { body: { reason: "brief", ttlMs: 600_000 } }))
      .json as { expiresAtMs: number; checkedAtMs: number };
    expect(timed.expiresAtMs - timed.checkedAtMs).toBeGreaterThan(590_000);
    expect((await call("DELETE", "/api/v1/domains/search/freeze")).status).toBe(200);
  });

  it("reports the global kill switch on every domain", async () => {
    await call("POST", `/api/v1/domains/${encodeURIComponent("*")}/freeze`, { body: { reason: "stop everything" } });
    expect((await call("GET", "/api/v1/domains/anything/freeze")).json).toMatchObject({
      frozen: true,
      reason: "stop everything",
    });
    await call("DELETE", `/api/v1/domains/${encodeURIComponent("*")}/freeze`);
    expect((await call("GET", "/api/v1/domains/anything/freeze")).json).toMatchObject({ frozen: false });
  });
});

describe("CORS", () => {
  it("adds CORS headers only for the configured origin", async () => {
    const allowed = await call("GET", "/api/v1/operations", { headers: { origin: CORS_ORIGIN } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe(CORS_ORIGIN);
    const other = await call("GET", "/api/v1/operations", { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await request(serve.url, "OPTIONS", "/api/v1/operations", {
      headers: { origin: CORS_ORIGIN, "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("Authorization");
  });
});
