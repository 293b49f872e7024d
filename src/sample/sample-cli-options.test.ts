import { describe, expect, it } from "vitest";
import { parseSampleArgs } from "./sample-cli-options.ts";

describe("sample service command line", () => {
  it("has runnable defaults", () => {
    expect(parseSampleArgs([], {})).toEqual({
      ok: true,
      value: {
        port: 0,
        name: "sample",
        version: "1.0.0",
        latencyMs: { median: 5, p99: 25 },
        errorRate: 0,
        longRequestShare: 0,
        longRequestMs: 5000,
      },
    });
  });

  it("reads flags over environment variables, and the database only from the environment", () => {
    const parsed = parseSampleArgs(["--name", "v2-a", "--error-rate", "0.5", "--jobs-interval-ms", "100"], {
      SAMPLE_NAME: "ignored",
      SAMPLE_VERSION: "2.0.0",
      SAMPLE_DB_URL: "postgres://app@127.0.0.1:5432/app",
    });
    expect(parsed).toMatchObject({
      ok: true,
      value: {
        name: "v2-a",
        version: "2.0.0",
        errorRate: 0.5,
        jobs: { intervalMs: 100, durationMs: 1000 },
        db: { connectionString: "postgres://app@127.0.0.1:5432/app", poolSize: 4 },
      },
    });
  });

  it("reads the pool's minimum and the share of requests held in the database", () => {
    const parsed = parseSampleArgs(["--db-pool-size", "8", "--db-pool-min", "8", "--db-hold-share", "1"], {
      SAMPLE_DB_URL: "postgres://app@127.0.0.1:5432/app",
    });
    expect(parsed).toMatchObject({ ok: true, value: { db: { poolSize: 8, minConnections: 8, holdShare: 1 } } });
  });

  it("refuses unknown flags and non-numeric values", () => {
    expect(parseSampleArgs(["--db-url", "x"], {}).ok).toBe(false);
    expect(parseSampleArgs(["--port", "abc"], {}).ok).toBe(false);
    expect(parseSampleArgs([], { SAMPLE_ERROR_RATE: "-1" }).ok).toBe(false);
  });
});
