import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type FlagEvaluator, startFlagEvaluator } from "./flag-evaluator.ts";

const dir = mkdtempSync(join(tmpdir(), "airlock-evaluator-"));
const evaluators: FlagEvaluator[] = [];
afterAll(() => {
  for (const e of evaluators) e.close();
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
function flagFile(flag: Record<string, unknown>): string {
  files += 1;
  const path = join(dir, `flags-${files}.json`);
  writeFileSync(path, JSON.stringify({ flags: { checkout: flag } }));
  return path;
}

const everyoneOn = (revision: number) => ({
  state: "ENABLED",
  variants: { on: true, off: false },
  defaultVariant: "off",
  targeting: {
    fractional: [
      ["on", 100],
      ["off", 0],
    ],
  },
  metadata: { airlockRevision: revision },
});

async function evaluator(file: string, errorRates: Record<string, number> = {}, random = () => 0.5) {
  // A long poll: the tests reload by hand.
  const e = await startFlagEvaluator({ file, flag: "checkout", reloadMs: 3_600_000, errorRates }, "test", random);
  evaluators.push(e);
  return e;
}

describe("sample flag evaluator", () => {
  it("evaluates the flag per targeting key and reports the revision it evaluates", async () => {
    const e = await evaluator(flagFile(everyoneOn(3)));
    expect(e.request("user-1")).toEqual({
      status: 200,
      body: { flag: "checkout", variant: "on", value: true, revision: 3 },
    });
    expect(await e.metricsText()).toContain('sample_flag_revision{flag="checkout",instance="test"} 3');
  });

  it("fails each variant's requests at its own rate and counts them per variant", async () => {
    const e = await evaluator(flagFile(everyoneOn(1)), { on: 0.6, off: 0.01 }, () => 0.5);
    expect(e.request("user-1")).toMatchObject({ status: 500, body: { variant: "on", error: "injected failure" } });
    const metrics = await e.metricsText();
    expect(metrics).toContain('sample_flag_requests_total{flag="checkout",variant="on",instance="test"} 1');
    expect(metrics).toContain('sample_flag_errors_total{flag="checkout",variant="on",instance="test"} 1');
    expect(metrics).toContain('sample_flag_requests_total{flag="checkout",variant="off",instance="test"} 0');
  });

  it("loads a replaced file, and keeps the last good definition when the new one is invalid", async () => {
    const file = flagFile(everyoneOn(1));
    const e = await evaluator(file);
    const next = join(dir, "next.json");
    writeFileSync(next, JSON.stringify({ flags: { checkout: everyoneOn(2) } }));
    await rename(next, file);
    await e.reload();
    expect(e.revision()).toBe(2);
    writeFileSync(file, JSON.stringify({ flags: { checkout: { ...everyoneOn(3), state: "SOMETIMES" } } }));
    await e.reload();
    expect(e.revision()).toBe(2);
    expect(e.request("user-1")).toMatchObject({ status: 200, body: { revision: 2 } });
    expect(await e.metricsText()).toContain(
      'sample_flag_reloads_total{flag="checkout",outcome="error",instance="test"} 1',
    );
  });

  it("answers 503 and reports no revision until the flag is loaded", async () => {
    const e = await evaluator(join(dir, "missing.json"));
    expect(e.request(undefined)).toMatchObject({ status: 503, body: { error: "flag not loaded" } });
    expect(await e.metricsText()).not.toContain("sample_flag_revision{");
  });
});
