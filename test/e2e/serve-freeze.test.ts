/**
 * The freeze signal's lifetime with real processes: a halted operation's
 * controller keeps renewing the freeze of its domain; once that controller
 * is stopped the freeze expires after the freeze TTL (the operation stays
 * halted), so a dead controller cannot freeze autoscaling forever; a
 * controller that takes the operation over renews it again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fleetPlan } from "../../src/api/testing-plans.ts";
import { request, type ServeProcess, startServeProcess } from "../../src/api/testing-serve.ts";
import { openStore } from "../../src/store/open.ts";
import { waitUntil } from "../services/wait-until.ts";

interface Signal {
  readonly frozen: boolean;
  readonly setBy: string | null;
  readonly expiresAtMs: number | null;
  readonly checkedAtMs: number;
}

const dir = mkdtempSync(join(tmpdir(), "airlock-freeze-"));
const servers: ServeProcess[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<ServeProcess> {
  const serve = await startServeProcess(["--freeze-ttl", "2s", "--lease-ttl", "2s"], { dir });
  servers.push(serve);
  return serve;
}

async function signal(serve: ServeProcess): Promise<Signal> {
  return (await request(serve.url, "GET", "/api/v1/domains/checkout/freeze", { token: serve.tokens.read }))
    .json as Signal;
}

describe("the freeze signal", () => {
  it("is renewed while the halting controller lives and expires once it is stopped", async () => {
    const first = await start();
    const plan = fleetPlan({
      name: "checkout-v2",
      domain: "checkout",
      interval: "100ms",
      healthyTicks: 8,
      badTicks: 200,
      bakes: ["200ms", "60s", "60s"],
    });
    const created = await request(first.url, "POST", "/api/v1/operations", { token: first.tokens.admin, body: plan });
    const id = (created.json as { operation: { id: string } }).operation.id;
    await waitUntil("halted by the detector", async () => (await signal(first)).frozen, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    const frozen = await signal(first);
    expect(frozen.setBy).toBe(id);
    expect(frozen.expiresAtMs).not.toBeNull();
    expect((frozen.expiresAtMs ?? 0) - frozen.checkedAtMs).toBeLessThanOrEqual(2_000);
    await waitUntil(
      "a renewal past the first expiry",
      async () => ((await signal(first)).expiresAtMs ?? 0) > (frozen.expiresAtMs ?? 0) + 1_000,
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect((await signal(first)).frozen).toBe(true);

    await first.stop({ keepDir: true });
    const opened = await openStore(first.storeUrl);
    if (!opened.ok) throw new Error(opened.message);
    const store = opened.value;
    try {
      await waitUntil("the freeze expired", async () => (await store.activeFreezes(["checkout"])).length === 0, {
        timeoutMs: 10_000,
        intervalMs: 200,
      });
      expect((await store.getOperation(id))?.status).toBe("halted");
    } finally {
      await store.close();
    }

    const second = await start();
    await waitUntil("the new controller renews the freeze", async () => (await signal(second)).setBy === id, {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
  });
});
