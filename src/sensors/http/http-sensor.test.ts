import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedLocalPort, type LocalHttpServer, sendJson, startLocalHttpServer } from "../../util/local-http-server.ts";
import { describeSensorContract } from "../sensor.contract.ts";
import type { Reading } from "../sensor.ts";
import { type HttpSensorConfig, httpSensorDefinition } from "./http-sensor.ts";

const TOKEN_VAR = "AIRLOCK_TEST_HTTP_SENSOR_TOKEN";
const TOKEN = "s3cr3t-http-sensor-token";
const NOW_MS = 1_700_000_000_000;

const routes: Record<string, unknown> = {
  "/scalar": { data: { value: 3, items: [{ x: 7 }] }, at: "2023-11-14T22:13:20.000Z", atSeconds: 1_700_000_000 },
  "/servers": {
    servers: [
      { name: "v1-a", inflight: 2, cohort: "legacy" },
      { name: "v2-a", inflight: 0, cohort: "candidate" },
    ],
  },
  "/map": { perNode: { a: 1, b: 2 } },
  "/empty": { servers: [], perNode: {}, nothing: null },
  "/string": { data: { value: "three" }, perNode: { a: "1" } },
};

async function startStatsServer(): Promise<LocalHttpServer> {
  return startLocalHttpServer((request, _body, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return sendJson(response, 401, { error: "no token" });
    if (path === "/hang") return;
    if (path === "/text") return void response.end("not json");
    if (path === "/500") return sendJson(response, 500, { error: "boom" });
    const body = routes[path];
    return body === undefined ? sendJson(response, 404, {}) : sendJson(response, 200, body);
  });
}

function sensorFor(origin: string, config: Omit<HttpSensorConfig, "url" | "headers"> & { route: string }) {
  const { route, ...rest } = config;
  const parsed = httpSensorDefinition.config.parse({
    url: `${origin}${route}`,
    headers: { Authorization: `Bearer \${${TOKEN_VAR}}` },
    timeoutMs: 5000,
    ...rest,
  });
  return httpSensorDefinition.create(parsed, { planDir: "." });
}

describeSensorContract("http", async () => {
  process.env[TOKEN_VAR] = TOKEN;
  const server = await startStatsServer();
  const port = await closedLocalPort();
  const at =
    (route: string, config: Partial<HttpSensorConfig> = {}) =>
    () =>
      sensorFor(server.origin, { route, path: "$.data.value", ...config });
  return {
    succeeding: at("/scalar"),
    hanging: () => sensorFor(server.origin, { route: "/hang", timeoutMs: 60_000 }),
    failures: [
      { code: "unreachable", create: () => sensorFor(`http://127.0.0.1:${port}`, { route: `/x?token=${TOKEN}` }) },
      { code: "timeout", create: at("/hang", { timeoutMs: 50 }) },
      { code: "http-500", create: at("/500") },
      { code: "parse", create: at("/text") },
      { code: "empty", create: at("/empty", { path: "$.nothing" }) },
      { code: "type", create: at("/string") },
      {
        code: "config",
        create: () =>
          httpSensorDefinition.create(
            httpSensorDefinition.config.parse({
              url: `${server.origin}/scalar`,
              headers: { A: `\${AIRLOCK_UNSET_VAR}` },
            }),
            { planDir: "." },
          ),
      },
    ],
    secrets: [TOKEN],
    async cleanup() {
      await server.close();
      delete process.env[TOKEN_VAR];
    },
  };
});

describe("http sensor", () => {
  let server: LocalHttpServer;
  beforeAll(async () => {
    process.env[TOKEN_VAR] = TOKEN;
    server = await startStatsServer();
  });
  afterAll(async () => {
    await server.close();
    delete process.env[TOKEN_VAR];
  });

  const read = (route: string, config: Partial<HttpSensorConfig>): Promise<Reading> =>
    sensorFor(server.origin, { route, ...config }).read({
      nowMs: NOW_MS,
      signal: new AbortController().signal,
    });

  it("picks a scalar by a dotted path and an array index", async () => {
    expect(await read("/scalar", { path: "$.data.items[0].x" })).toMatchObject({
      ok: true,
      value: { type: "scalar", value: 7 },
    });
  });

  it("builds a labelled vector from array elements with nodeKey, valueKey and labels", async () => {
    const reading = await read("/servers", {
      path: "$.servers[*]",
      nodeKey: "name",
      valueKey: "$.inflight",
      labels: { cohort: "cohort" },
    });
    expect(reading).toMatchObject({
      ok: true,
      value: {
        type: "vector",
        values: { "v1-a": 2, "v2-a": 0 },
        labels: { "v1-a": { cohort: "legacy" }, "v2-a": { cohort: "candidate" } },
      },
    });
  });

  it("turns an object of numbers into a vector", async () => {
    expect(await read("/map", { path: "$.perNode" })).toMatchObject({
      ok: true,
      value: { type: "vector", values: { a: 1, b: 2 } },
    });
  });

  it("treats an empty array or object as empty, never as zero", async () => {
    const elements = await read("/empty", { path: "$.servers[*]", nodeKey: "name", valueKey: "v" });
    const object = await read("/empty", { path: "$.perNode" });
    expect([elements, object]).toMatchObject([
      { ok: false, code: "empty" },
      { ok: false, code: "empty" },
    ]);
  });

  it("rejects a map whose values are not numbers", async () => {
    expect(await read("/string", { path: "$.perNode" })).toMatchObject({ ok: false, code: "type" });
  });

  it("takes observedAtMs from the response when observedAtPath is set", async () => {
    const iso = await read("/scalar", { path: "$.data.value", observedAtPath: "$.at" });
    const seconds = await read("/scalar", { path: "$.data.value", observedAtPath: "atSeconds", observedAtUnit: "s" });
    expect(iso.observedAtMs).toBe(1_700_000_000_000);
    expect(seconds.observedAtMs).toBe(1_700_000_000_000);
  });

  it("stamps a reading with the response time on the read's clock by default", async () => {
    const reading = await read("/scalar", { path: "$.data.value" });
    expect(reading.observedAtMs).toBeGreaterThanOrEqual(NOW_MS);
  });

  it("refuses configs whose paths cannot work", () => {
    const base = { url: "http://127.0.0.1:1/x" };
    expect(httpSensorDefinition.config.safeParse({ ...base, path: "$.servers[*]" }).success).toBe(false);
    expect(httpSensorDefinition.config.safeParse({ ...base, path: "$.a", nodeKey: "name" }).success).toBe(false);
    expect(httpSensorDefinition.config.safeParse({ ...base, path: "$.a[?(@.x)]" }).success).toBe(false);
    expect(httpSensorDefinition.config.safeParse({ ...base, url: "file:///etc/passwd" }).success).toBe(false);
  });
});
