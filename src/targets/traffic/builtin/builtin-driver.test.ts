import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { type RunningRouter, startRouter } from "../../../router/start-router.ts";
import { type RunningSampleService, startSampleService } from "../../../sample/sample-service.ts";
import {
  describeRouterDriverContract,
  holdRequestThroughRouter,
  type RouterDriverFixture,
} from "../router-driver.contract.ts";
import { BuiltinRouterDriver } from "./builtin-router-driver.ts";

const TOKEN = "contract-admin-token";
const NAMES = ["v1-a", "v1-b", "v2-a"];

function portOf(url: string): number {
  return Number(new URL(url).port);
}

async function builtinFixture(): Promise<RouterDriverFixture> {
  const samples: RunningSampleService[] = await Promise.all(
    NAMES.map((name) =>
      startSampleService({
        port: 0,
        name,
        version: name.startsWith("v1") ? "1.0.0" : "2.0.0",
        latencyMs: { median: 1, p99: 3 },
        errorRate: 0,
        longRequestShare: 0,
        longRequestMs: 0,
      }),
    ),
  );
  const urls = new Map(samples.map((sample) => [sample.name, sample.url]));
  const options = (listenPort: number, adminPort: number) => ({
    listenPort,
    adminPort,
    adminToken: TOKEN,
    healthCheck: { intervalMs: 200 },
    servers: samples.map((sample) => ({ name: sample.name, url: sample.url, weight: 10 })),
  });
  let router: RunningRouter = await startRouter(options(0, 0));
  const backendUrl = (server: string): string => {
    const url = urls.get(server);
    if (url === undefined) throw new Error(`no backend ${server}`);
    return url;
  };
  return {
    driver: new BuiltinRouterDriver({ adminUrl: router.adminUrl, adminToken: TOKEN }),
    routerUrl: router.url,
    backends: NAMES,
    backendUrl,
    holdRequest: (server) => holdRequestThroughRouter(router.url, backendUrl(server), server),
    restartRouter: async () => {
      const [listenPort, adminPort] = [portOf(router.url), portOf(router.adminUrl)];
      await router.close();
      router = await startRouter(options(listenPort, adminPort));
    },
    teardown: async () => {
      await router.close();
      await Promise.all(samples.map((sample) => sample.close()));
    },
  };
}

describeRouterDriverContract("built-in router", builtinFixture);

describe("built-in router driver failures", () => {
  it("reports a router that is not listening as unreachable, retryable", async () => {
    const driver = new BuiltinRouterDriver({ adminUrl: "http://127.0.0.1:1" });
    expect(await driver.servers(AbortSignal.timeout(2000))).toMatchObject({
      ok: false,
      code: "unreachable",
      retryable: true,
    });
  });

  it("times out on a router that never answers, and when the caller's signal aborts", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const adminUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const own = new BuiltinRouterDriver({ adminUrl, timeoutMs: 50 });
      expect(await own.info(AbortSignal.timeout(10_000))).toMatchObject({
        ok: false,
        code: "timeout",
        retryable: true,
      });
      const callers = new BuiltinRouterDriver({ adminUrl, timeoutMs: 10_000 });
      expect(await callers.sessions(AbortSignal.timeout(50))).toMatchObject({ ok: false, code: "timeout" });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it("maps refusals to http-<status> and unexpected answers to parse, without leaking the token", async () => {
    const router = await startRouter({
      listenPort: 0,
      adminPort: 0,
      adminToken: TOKEN,
      healthCheck: false,
      servers: [],
    });
    const wrongToken = new BuiltinRouterDriver({ adminUrl: router.adminUrl, adminToken: "wrong" });
    const notJson = createServer((_req, res) => res.end("<html>"));
    await new Promise<void>((resolve) => notJson.listen(0, "127.0.0.1", resolve));
    try {
      const refused = await wrongToken.setWeight("any", 1, AbortSignal.timeout(2000));
      expect(refused).toMatchObject({ ok: false, code: "http-401", retryable: false });
      expect(JSON.stringify(refused)).not.toContain(TOKEN);
      const unknown = await new BuiltinRouterDriver({ adminUrl: router.adminUrl, adminToken: TOKEN }).setState(
        "nobody",
        "drain",
        AbortSignal.timeout(2000),
      );
      expect(unknown).toMatchObject({ ok: false, code: "http-404" });
      const garbled = new BuiltinRouterDriver({
        adminUrl: `http://127.0.0.1:${(notJson.address() as AddressInfo).port}`,
      });
      expect(await garbled.servers(AbortSignal.timeout(2000))).toMatchObject({ ok: false, code: "parse" });
    } finally {
      await router.close();
      notJson.close();
    }
  });

  it("refuses a weight outside 0-256 without calling the router, and every call after close", async () => {
    const driver = new BuiltinRouterDriver({ adminUrl: "http://127.0.0.1:1" });
    expect(await driver.setWeight("a", 300, AbortSignal.timeout(2000))).toMatchObject({ code: "invalid-weight" });
    await driver.close();
    await driver.close();
    expect(await driver.info(AbortSignal.timeout(2000))).toMatchObject({ ok: false, code: "closed" });
  });
});
