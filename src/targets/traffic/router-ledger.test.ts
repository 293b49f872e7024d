import { describe, expect, it } from "vitest";
import { RouterLedger } from "./router-ledger.ts";
import { server } from "./testing-servers.ts";

const info = (startedAtMs: number) => ({ startedAtMs, nowMs: startedAtMs + 1 });

describe("router ledger (drift)", () => {
  it("takes the first observation as the baseline", () => {
    const ledger = new RouterLedger();
    expect(ledger.drift([server("v1-a", { weight: 37 })], info(1))).toBeUndefined();
  });

  it("reports a weight or state changed by hand, naming what Airlock set", () => {
    const ledger = new RouterLedger();
    ledger.drift([server("v1-a"), server("v2-a")], info(1));
    ledger.record("v1-a", { weight: 90 });
    expect(ledger.drift([server("v1-a", { weight: 90 }), server("v2-a")], info(1))).toBeUndefined();
    expect(ledger.drift([server("v1-a", { weight: 37 }), server("v2-a", { adminState: "drain" })], info(1))).toBe(
      "changed behind Airlock's back: v1-a weight 37 (Airlock set 90); v2-a drain (Airlock set ready)",
    );
  });

  it("reports a reload that reset runtime weights to the configured ones", () => {
    const ledger = new RouterLedger();
    ledger.drift([server("v1-a")], info(1));
    ledger.record("v1-a", { weight: 90 });
    expect(ledger.drift([server("v1-a", { weight: 100, initialWeight: 100 })], info(2))).toMatch(
      /^router restarted or reloaded .* runtime weights were reset to the configured ones: v1-a weight 100 \(Airlock set 90\)$/,
    );
  });

  it("accepts a reload that kept every weight (a server state file) and follows the new process", () => {
    const ledger = new RouterLedger();
    ledger.drift([server("v1-a")], info(1));
    ledger.record("v1-a", { weight: 90 });
    expect(ledger.drift([server("v1-a", { weight: 90 })], info(2))).toBeUndefined();
    expect(ledger.drift([server("v1-a", { weight: 91 })], info(2))).toMatch(/^changed behind/);
  });

  it("lets an apply overwrite a drift only after it has been reported once", () => {
    const ledger = new RouterLedger();
    expect(ledger.mayOverwrite("v1-a weight 37")).toBe(false);
    expect(ledger.mayOverwrite("v1-a weight 37")).toBe(true);
    expect(ledger.mayOverwrite("v1-a weight 38")).toBe(false);
  });
});
