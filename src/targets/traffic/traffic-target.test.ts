import { describe, expect, it } from "vitest";
import type { ActionRequest, ActionSpec, TargetResult } from "../target.ts";
import type { AdminState, RouterDriver, ServerStat, SessionInfo } from "./router-driver.ts";
import { server } from "./testing-servers.ts";
import type { TrafficConfig } from "./traffic-config.ts";
import { createTrafficTarget } from "./traffic-target.ts";

/** An in-memory router whose servers a test can change behind the target's back. */
function memoryRouter(names: readonly string[]) {
  const servers = new Map(names.map((name) => [name, server(name)]));
  let startedAtMs = 1_000;
  let failing: string | undefined;
  const calls: string[] = [];
  const failure = (): TargetResult<never> => ({
    ok: false,
    code: "unreachable",
    message: failing ?? "",
    retryable: true,
  });
  const change = (name: string, patch: Partial<ServerStat>): TargetResult<void> => {
    const current = servers.get(name);
    if (current === undefined) return { ok: false, code: "unknown-server", message: name, retryable: false };
    servers.set(name, { ...current, ...patch });
    return { ok: true, value: undefined };
  };
  const driver: RouterDriver = {
    servers: async () => (failing ? failure() : { ok: true, value: [...servers.values()] }),
    sessions: async (): Promise<TargetResult<readonly SessionInfo[]>> => ({ ok: true, value: [] }),
    setWeight: async (name, weight) => {
      calls.push(`weight ${name} ${weight}`);
      return failing ? failure() : change(name, { weight });
    },
    setState: async (name, adminState: AdminState) => {
      calls.push(`state ${name} ${adminState}`);
      return failing ? failure() : change(name, { adminState });
    },
    info: async () => (failing ? failure() : { ok: true, value: { startedAtMs, nowMs: startedAtMs + 1 } }),
    close: async () => {},
  };
  return {
    driver,
    calls,
    change,
    restart: () => {
      startedAtMs += 1;
      for (const [name, stat] of servers)
        servers.set(name, { ...stat, weight: stat.initialWeight, adminState: "ready" });
    },
    fail: (why: string | undefined) => {
      failing = why;
    },
    weights: () => Object.fromEntries([...servers].map(([name, stat]) => [name, stat.weight])),
  };
}

const config: TrafficConfig = { legacy: "v1-*", candidate: "v2-*", fullWeight: 100 };
let keys = 0;
const request = (action: ActionSpec, rollback = false): ActionRequest => {
  keys += 1;
  return {
    operationId: "op",
    stageName: "stage",
    stageIndex: 0,
    action,
    idempotencyKey: `key-${keys}`,
    fencingToken: 1,
    rollback,
    signal: AbortSignal.timeout(5000),
  };
};
const weight = (candidatePercent: number): ActionSpec => ({ type: "weight", params: { candidatePercent } });

describe("traffic target over a router driver", () => {
  it("sets the split raising weights before cutting them, and applying again changes nothing", async () => {
    const router = memoryRouter(["v1-a", "v1-b", "v2-a"]);
    const target = createTrafficTarget(config, router.driver, ".");
    expect(router.weights()).toEqual({ "v1-a": 100, "v1-b": 100, "v2-a": 100 });
    await router.change("v2-a", { weight: 0 });
    const once = request(weight(50));
    expect(await target.apply(once)).toMatchObject({ ok: true, value: { matches: true } });
    expect(router.calls).toEqual(["weight v2-a 100", "weight v1-a 50", "weight v1-b 50"]);
    expect(await target.apply(once)).toMatchObject({ ok: true });
    expect(router.calls).toHaveLength(3);
    expect(await target.observe(once, AbortSignal.timeout(5000))).toMatchObject({ ok: true, value: { matches: true } });
  });

  it("refuses a share for a set with no ready server without touching the router", async () => {
    const router = memoryRouter(["v1-a", "v2-a"]);
    await router.change("v2-a", { adminState: "maint" });
    const target = createTrafficTarget(config, router.driver, ".");
    expect(await target.apply(request(weight(10)))).toMatchObject({ ok: false, code: "no-ready-servers" });
    expect(router.calls).toEqual([]);
  });

  it("records drift during a rollback step and carries on", async () => {
    const router = memoryRouter(["v1-a", "v2-a"]);
    const target = createTrafficTarget(config, router.driver, ".");
    await target.apply(request(weight(50)));
    await router.change("v1-a", { weight: 3 });
    const rolledBack = await target.apply(request(weight(0), true));
    expect(rolledBack.ok && rolledBack.value?.drift).toMatch(/v1-a weight 3/);
    expect(router.weights()).toEqual({ "v1-a": 100, "v2-a": 0 });
  });

  it("reports a restart that reset weights as drift, and a failing router as a retryable failure", async () => {
    const router = memoryRouter(["v1-a", "v2-a"]);
    const target = createTrafficTarget(config, router.driver, ".");
    await target.apply(request(weight(10)));
    router.restart();
    const observed = await target.observe(undefined, AbortSignal.timeout(5000));
    expect(observed.ok && observed.value.drift).toMatch(/^router restarted or reloaded .*reset to the configured ones/);
    router.fail("connection refused");
    expect(await target.observe(undefined, AbortSignal.timeout(5000))).toMatchObject({ ok: false, retryable: true });
    const reading = await target.sensors().sessions?.read({ nowMs: 5, signal: AbortSignal.timeout(5000) });
    expect(reading).toEqual({ ok: false, code: "unreachable", message: "connection refused", observedAtMs: 5 });
  });

  it("refuses quiesce without a hook, and hooks without a known node address", async () => {
    const router = memoryRouter(["v1-a", "v2-a"]);
    await router.change("v1-a", { adminState: "drain" });
    const quiesce: ActionSpec = { type: "quiesce", params: { servers: ["v1-a"] } };
    const bare = createTrafficTarget(config, router.driver, ".");
    expect(await bare.apply(request(quiesce))).toMatchObject({ ok: false, code: "no-hook", retryable: false });
    const hooked = createTrafficTarget(
      { ...config, hooks: { quiesce: { webhook: "http://{address}/quiesce" } } },
      router.driver,
      ".",
    );
    expect(await hooked.apply(request(quiesce))).toMatchObject({ ok: false, code: "no-address", retryable: false });
  });

  it("rejects an action that is not a traffic action as not retryable", async () => {
    const target = createTrafficTarget(config, memoryRouter(["v1-a"]).driver, ".");
    expect(await target.apply(request({ type: "run", params: {} }))).toMatchObject({
      ok: false,
      code: "invalid-action",
      retryable: false,
    });
  });
});
