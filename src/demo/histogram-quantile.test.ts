import { describe, expect, it } from "vitest";
import { addDelta, histogramQuantile, parseBuckets, totalCount } from "./histogram-quantile.ts";

const exposition = (counts: readonly [string, number][], instance: string): string =>
  counts
    .map(
      ([le, count]) =>
        `sample_request_duration_seconds_bucket{le="${le}",version="1.0.0",instance="${instance}"} ${count}`,
    )
    .join("\n");

describe("histogram quantiles for the demo's latency monitor", () => {
  it("sums the buckets of every series of the named histogram and ignores other metrics", () => {
    const text = [
      "# TYPE sample_request_duration_seconds histogram",
      exposition(
        [
          ["0.01", 5],
          ["0.1", 9],
          ["+Inf", 10],
        ],
        "v1-a",
      ),
      exposition(
        [
          ["0.01", 1],
          ["0.1", 1],
          ["+Inf", 2],
        ],
        "v1-b",
      ),
      'other_bucket{le="0.01"} 100',
      "sample_request_duration_seconds_count 12",
    ].join("\n");
    const buckets = parseBuckets(text, "sample_request_duration_seconds");
    expect([...buckets]).toEqual([
      [0.01, 6],
      [0.1, 10],
      [Number.POSITIVE_INFINITY, 12],
    ]);
    expect(totalCount(buckets)).toBe(12);
  });

  it("interpolates linearly inside the bucket that holds the rank, as Prometheus does", () => {
    const buckets = new Map([
      [0.01, 50],
      [0.02, 90],
      [0.04, 100],
      [Number.POSITIVE_INFINITY, 100],
    ]);
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.01);
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(0.015);
    expect(histogramQuantile(0.99, buckets)).toBeCloseTo(0.038);
  });

  it("answers the highest finite bound when the rank falls in +Inf, and nothing without observations", () => {
    expect(
      histogramQuantile(
        0.99,
        new Map([
          [0.1, 1],
          [Number.POSITIVE_INFINITY, 10],
        ]),
      ),
    ).toBe(0.1);
    expect(
      histogramQuantile(
        0.99,
        new Map([
          [0.1, 0],
          [Number.POSITIVE_INFINITY, 0],
        ]),
      ),
    ).toBeUndefined();
  });

  it("subtracts an earlier scrape, treating a counter that went down as a restart", () => {
    const into = new Map<number, number>();
    addDelta(
      into,
      new Map([
        [0.1, 15],
        [Number.POSITIVE_INFINITY, 20],
      ]),
      new Map([
        [0.1, 10],
        [Number.POSITIVE_INFINITY, 12],
      ]),
    );
    addDelta(
      into,
      new Map([
        [0.1, 3],
        [Number.POSITIVE_INFINITY, 4],
      ]),
      new Map([
        [0.1, 10],
        [Number.POSITIVE_INFINITY, 12],
      ]),
    );
    expect([...into]).toEqual([
      [0.1, 8],
      [Number.POSITIVE_INFINITY, 12],
    ]);
  });
});
