import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedLocalPort, type LocalHttpServer, sendJson, startLocalHttpServer } from "../../util/local-http-server.ts";
import { describeSensorContract } from "../sensor.contract.ts";
import type { Reading } from "../sensor.ts";
import { type PrometheusSensorConfig, prometheusSensorDefinition } from "./prometheus-sensor.ts";

const NOW_MS = 1_700_000_100_000;
const EVAL_S = 1_700_000_099;
const vector = (...result: [Record<string, string>, string | number][]) => ({
  status: "success",
  data: { resultType: "vector", result: result.map(([metric, value]) => ({ metric, value: [EVAL_S, String(value)] })) },
});
const badQuery = { status: "error", errorType: "bad_data", error: "1:5: parse error: unexpected end of input" };
const sameLabelset = {
  status: "error",
  errorType: "execution",
  error: "vector cannot contain metrics with the same labelset",
};

/** Canned answers by PromQL text; `[status, body]` for non-200 answers. */
const answers: Record<string, unknown> = {
  errors: vector(
    [{ __name__: "errors", server: "v1-a", cohort: "legacy" }, 4],
    [{ __name__: "errors", server: "v2-a", cohort: "candidate" }, 1],
  ),
  "timestamp(errors)": vector(
    [{ server: "v1-a", cohort: "legacy" }, EVAL_S - 0.8],
    [{ server: "v2-a", cohort: "candidate" }, EVAL_S - 0.3],
  ),
  total: vector([{ job: "haproxy" }, 17]),
  "timestamp(total)": vector([{ job: "haproxy" }, EVAL_S - 0.5]),
  "scalar(total)": { status: "success", data: { resultType: "scalar", result: [EVAL_S, "17"] } },
  "{__name__=~'a|b'}": vector([{ __name__: "a", server: "x" }, 1], [{ __name__: "b", server: "y" }, 2]),
  "timestamp({__name__=~'a|b'})": [422, sameLabelset],
  nothing: vector(),
  nan: vector([{}, "NaN"]),
  two: vector([{ server: "a" }, 1], [{ server: "b" }, 2]),
  matrix: { status: "success", data: { resultType: "matrix", result: [] } },
  "bad(": [400, badQuery],
  overloaded: [503, { status: "error", errorType: "unavailable", error: "too many queries" }],
  html: [200, "<html>not prometheus</html>"],
};

let server: LocalHttpServer;
const seenTimes: string[] = [];

beforeAll(async () => {
  server = await startLocalHttpServer((request, _body, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    if (url.pathname !== "/prom/api/v1/query") return sendJson(response, 404, {});
    const promql = url.searchParams.get("query") ?? "";
    if (promql === "hang") return;
    if (promql.startsWith("timestamp(")) seenTimes.push(url.searchParams.get("time") ?? "");
    const answer = answers[promql] ?? vector();
    if (!Array.isArray(answer)) return sendJson(response, 200, answer);
    const [status, body] = answer as [number, unknown];
    if (typeof body === "string") return void response.writeHead(status).end(body);
    return sendJson(response, status, body);
  });
});
afterAll(() => server.close());

function sensor(query: string, extra: Partial<PrometheusSensorConfig> = {}, url = `${server.origin}/prom`) {
  const config = prometheusSensorDefinition.config.parse({ url, query, timeoutMs: 5000, ...extra });
  return prometheusSensorDefinition.create(config, { planDir: "." });
}
function read(query: string, extra: Partial<PrometheusSensorConfig> = {}): Promise<Reading> {
  return sensor(query, extra).read({ nowMs: NOW_MS, signal: new AbortController().signal });
}

describeSensorContract("prometheus", async () => {
  const port = await closedLocalPort();
  return {
    succeeding: () => sensor("total"),
    hanging: () => sensor("hang", { timeoutMs: 60_000 }),
    failures: [
      { code: "unreachable", create: () => sensor("total", {}, `http://127.0.0.1:${port}`) },
      { code: "timeout", create: () => sensor("hang", { timeoutMs: 50 }) },
      { code: "http-503", create: () => sensor("overloaded") },
      { code: "query", create: () => sensor("bad(") },
      { code: "parse", create: () => sensor("html") },
      { code: "type", create: () => sensor("matrix") },
      { code: "empty", create: () => sensor("nothing") },
      { code: "nan", create: () => sensor("nan") },
      { code: "ambiguous", create: () => sensor("two") },
    ],
    secrets: [],
  };
});

describe("prometheus sensor", () => {
  it("reads a per-node vector keyed by the node label, with the requested labels", async () => {
    expect(await read("errors", { nodeLabel: "server", labels: ["cohort"] })).toMatchObject({
      ok: true,
      value: {
        type: "vector",
        values: { "v1-a": 4, "v2-a": 1 },
        labels: { "v1-a": { cohort: "legacy" }, "v2-a": { cohort: "candidate" } },
      },
    });
  });

  it("dates a reading by the oldest series' own sample time, looked up at the same evaluation instant", async () => {
    seenTimes.length = 0;
    const reading = await read("errors", { nodeLabel: "server" });
    expect(reading.observedAtMs).toBe((EVAL_S - 0.8) * 1000);
    expect(seenTimes).toEqual([EVAL_S.toFixed(3)]);
  });

  it("reads a scalar from exactly one series, or from a scalar result at its evaluation time", async () => {
    expect(await read("total")).toEqual({
      ok: true,
      observedAtMs: (EVAL_S - 0.5) * 1000,
      value: { type: "scalar", value: 17 },
    });
    expect(await read("scalar(total)")).toEqual({
      ok: true,
      observedAtMs: EVAL_S * 1000,
      value: { type: "scalar", value: 17 },
    });
  });

  it("keeps the evaluation time when timestamp() cannot take the query", async () => {
    expect(await read("{__name__=~'a|b'}", { nodeLabel: "server" })).toMatchObject({
      ok: true,
      observedAtMs: EVAL_S * 1000,
      value: { values: { x: 1, y: 2 } },
    });
  });

  it("fails closed on an empty result, with the time of the failure", async () => {
    const reading = await read("nothing", { nodeLabel: "server" });
    expect(reading).toMatchObject({ ok: false, code: "empty" });
    expect(reading.observedAtMs).toBeGreaterThanOrEqual(NOW_MS);
  });

  it("explains a rejected query with Prometheus' own message", async () => {
    expect(await read("bad(")).toMatchObject({
      ok: false,
      code: "query",
      message: expect.stringContaining("parse error"),
    });
  });

  it("validates its config: label names, labels only with nodeLabel, no credentials in the URL", () => {
    const parse = (config: Record<string, unknown>) =>
      prometheusSensorDefinition.config.safeParse({ url: "http://127.0.0.1:9090", query: "up", ...config }).success;
    expect(parse({})).toBe(true);
    expect(parse({ nodeLabel: "server", labels: ["cohort"] })).toBe(true);
    expect(parse({ labels: ["cohort"] })).toBe(false);
    expect(parse({ nodeLabel: "bad-label" })).toBe(false);
    expect(parse({ query: " " })).toBe(false);
    expect(parse({ url: "http://user:pw@127.0.0.1:9090" })).toBe(false);
    expect(parse({ url: "ftp://127.0.0.1" })).toBe(false);
  });
});
