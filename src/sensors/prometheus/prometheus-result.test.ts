import { describe, expect, it } from "vitest";
import { parseQueryResponse, readingFromResult, seriesKey } from "./prometheus-result.ts";

const AT_S = 1_700_000_000.5;
const series = (metric: Record<string, string>, value: string) => ({ metric, value: [AT_S, value] });
const vectorBody = (...result: unknown[]) =>
  JSON.stringify({ status: "success", data: { resultType: "vector", result } });

function parsedVector(...result: unknown[]) {
  const parsed = parseQueryResponse(vectorBody(...result));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed;
}

describe("parseQueryResponse", () => {
  it("reads a vector's labels, values and timestamps in ms", () => {
    expect(parseQueryResponse(vectorBody(series({ server: "v1-a" }, "3")))).toEqual({
      ok: true,
      type: "vector",
      samples: [{ labels: { server: "v1-a" }, value: 3, timestampMs: 1_700_000_000_500 }],
    });
  });

  it("reads Prometheus' spelling of NaN and infinities", () => {
    const parsed = parsedVector(series({ a: "1" }, "NaN"), series({ a: "2" }, "+Inf"), series({ a: "3" }, "-Inf"));
    expect(parsed.type === "vector" && parsed.samples.map((sample) => sample.value)).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
  });

  it("reads a scalar result", () => {
    const body = JSON.stringify({ status: "success", data: { resultType: "scalar", result: [AT_S, "42"] } });
    expect(parseQueryResponse(body)).toMatchObject({ ok: true, type: "scalar", sample: { value: 42 } });
  });

  it("reports Prometheus' query errors, other result types and malformed answers as distinct codes", () => {
    const error = JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error at char 5" });
    const matrix = JSON.stringify({ status: "success", data: { resultType: "matrix", result: [] } });
    expect(parseQueryResponse(error)).toMatchObject({
      ok: false,
      code: "query",
      message: "Prometheus: bad_data: parse error at char 5",
    });
    expect(parseQueryResponse(matrix)).toMatchObject({ ok: false, code: "type" });
    expect(parseQueryResponse("<html>")).toMatchObject({ ok: false, code: "parse" });
    expect(parseQueryResponse(vectorBody({ metric: {}, value: [AT_S, "abc"] }))).toMatchObject({
      ok: false,
      code: "parse",
    });
    expect(parseQueryResponse(vectorBody({ metric: {}, value: ["x", "1"] }))).toMatchObject({
      ok: false,
      code: "parse",
    });
  });
});

describe("readingFromResult", () => {
  it("keys a vector by the node label and copies the requested labels", () => {
    const parsed = parsedVector(
      series({ server: "v1-a", cohort: "legacy", job: "h" }, "5"),
      series({ server: "v2-a", cohort: "candidate", job: "h" }, "1"),
    );
    expect(readingFromResult(parsed, { nodeLabel: "server", labels: ["cohort"] }, 0)).toEqual({
      ok: true,
      observedAtMs: 1_700_000_000_500,
      value: {
        type: "vector",
        values: { "v1-a": 5, "v2-a": 1 },
        labels: { "v1-a": { cohort: "legacy" }, "v2-a": { cohort: "candidate" } },
      },
    });
  });

  it("reads a scalar from exactly one series and refuses to pick one of several", () => {
    expect(readingFromResult(parsedVector(series({}, "7")), {}, 0)).toMatchObject({
      ok: true,
      value: { type: "scalar", value: 7 },
    });
    expect(readingFromResult(parsedVector(series({ a: "1" }, "7"), series({ a: "2" }, "8")), {}, 0)).toMatchObject({
      ok: false,
      code: "ambiguous",
    });
  });

  it("never turns an empty result into zero", () => {
    expect(readingFromResult(parsedVector(), {}, 123)).toEqual({
      ok: false,
      code: "empty",
      observedAtMs: 123,
      message: "the query returned no series",
    });
    expect(readingFromResult(parsedVector(), { nodeLabel: "server" }, 123)).toMatchObject({ ok: false, code: "empty" });
  });

  it("fails on NaN or infinite values, a series without the node label, or two series for one node", () => {
    const nodes = { nodeLabel: "server" };
    expect(readingFromResult(parsedVector(series({ server: "a" }, "NaN")), nodes, 0)).toMatchObject({
      ok: false,
      code: "nan",
    });
    expect(readingFromResult(parsedVector(series({}, "+Inf")), {}, 0)).toMatchObject({ ok: false, code: "nan" });
    expect(readingFromResult(parsedVector(series({ other: "a" }, "1")), nodes, 0)).toMatchObject({
      ok: false,
      code: "missing-label",
    });
    expect(
      readingFromResult(
        parsedVector(series({ server: "a", code: "5xx" }, "1"), series({ server: "a", code: "2xx" }, "9")),
        nodes,
        0,
      ),
    ).toMatchObject({ ok: false, code: "ambiguous" });
  });

  it("refuses a scalar result where nodes are expected", () => {
    const parsed = parseQueryResponse(
      JSON.stringify({ status: "success", data: { resultType: "scalar", result: [AT_S, "1"] } }),
    );
    expect(parsed.ok && readingFromResult(parsed, { nodeLabel: "server" }, 0)).toMatchObject({
      ok: false,
      code: "type",
    });
  });

  it("dates the reading by its oldest series when sample times are given", () => {
    const parsed = parsedVector(series({ server: "a" }, "1"), series({ server: "b" }, "2"));
    const times: Record<string, number> = { a: 1_000, b: 2_000 };
    const reading = readingFromResult(
      parsed,
      { nodeLabel: "server" },
      0,
      (sample) => times[sample.labels.server ?? ""] ?? 0,
    );
    expect(reading.observedAtMs).toBe(1_000);
  });
});

describe("seriesKey", () => {
  it("matches a series with its timestamp() twin, which has lost its metric name", () => {
    expect(seriesKey({ __name__: "up", job: "a", instance: "b" })).toBe(seriesKey({ instance: "b", job: "a" }));
  });
});
