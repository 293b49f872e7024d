import { describe, expect, it } from "vitest";
import { type RunningRouter, startRouter } from "../../router/start-router.ts";
import { closedLocalPort } from "../../util/local-http-server.ts";
import type { TargetDefinition } from "../target.ts";
import { BuiltinRouterDriver } from "./builtin/builtin-router-driver.ts";
import { builtinRouterTargetDefinition } from "./builtin-router-target.ts";
import { describeTrafficTargetE2e, startFleet } from "./traffic-target-e2e.ts";

const TOKEN_ENV = "AIRLOCK_E2E_ROUTER_TOKEN";
const TOKEN = "e2e-router-admin-token";
process.env[TOKEN_ENV] = TOKEN;

describeTrafficTargetE2e("built-in router", async () => {
  const fleet = await startFleet();
  const options = (listenPort: number, adminPort: number) => ({
    listenPort,
    adminPort,
    adminToken: TOKEN,
    healthCheck: { intervalMs: 100 },
    servers: [...fleet.values()].map((sample) => ({ name: sample.name, url: sample.url, weight: 100 })),
  });
  let router: RunningRouter = await startRouter(options(0, 0));
  const port = (url: string): number => Number(new URL(url).port);
  return {
    definition: builtinRouterTargetDefinition as TargetDefinition,
    routerConfig: { adminUrl: router.adminUrl, tokenEnv: TOKEN_ENV },
    fleet,
    routerUrl: router.url,
    driver: new BuiltinRouterDriver({ adminUrl: router.adminUrl, adminToken: TOKEN }),
    async setWeightByHand(server, weight) {
      const response = await fetch(`${router.adminUrl}/servers/${server}/weight`, {
        method: "PUT",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ weight }),
      });
      expect(response.status).toBe(200);
    },
    async restartWipingWeights() {
      const [listenPort, adminPort] = [port(router.url), port(router.adminUrl)];
      await router.close();
      router = await startRouter(options(listenPort, adminPort));
    },
    async teardown() {
      await router.close();
      await Promise.all([...fleet.values()].map((sample) => sample.close()));
    },
  };
});

describe("builtin-router target without a router", () => {
  it("gives failed readings and retryable apply failures when the admin API is unreachable", async () => {
    const config = builtinRouterTargetDefinition.config.parse({
      adminUrl: `http://127.0.0.1:${await closedLocalPort()}`,
      legacy: "v1-*",
      candidate: "v2-*",
    });
    const target = builtinRouterTargetDefinition.create(config, { planDir: "." });
    for (const sensor of Object.values(target.sensors())) {
      const reading = await sensor.read({ nowMs: Date.now(), signal: AbortSignal.timeout(5000) });
      expect(reading.ok).toBe(false);
    }
    const applied = await target.apply({
      operationId: "op",
      stageName: "s",
      stageIndex: 0,
      action: { type: "weight", params: { candidatePercent: 10 } },
      idempotencyKey: "k",
      fencingToken: 1,
      rollback: false,
      signal: AbortSignal.timeout(5000),
    });
    expect(applied).toMatchObject({ ok: false, code: "unreachable", retryable: true });
  });

  it("fails every call, never with the token, when the token's environment variable is unset", async () => {
    const config = builtinRouterTargetDefinition.config.parse({
      adminUrl: "http://127.0.0.1:1",
      tokenEnv: "AIRLOCK_E2E_UNSET_TOKEN",
      legacy: "v1-*",
      candidate: "v2-*",
    });
    const target = builtinRouterTargetDefinition.create(config, { planDir: "." });
    const observed = await target.observe(undefined, AbortSignal.timeout(5000));
    expect(observed).toMatchObject({ ok: false, code: "config", retryable: false });
    expect(JSON.stringify(observed)).toContain("AIRLOCK_E2E_UNSET_TOKEN");
  });
});
