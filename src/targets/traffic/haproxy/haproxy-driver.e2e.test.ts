import { describe, expect, it } from "vitest";
import { type HaproxyService, startHaproxy } from "../../../../test/services/haproxy.ts";
import { requireService } from "../../../../test/services/require-service.ts";
import { type RunningSampleService, startSampleService } from "../../../sample/sample-service.ts";
import {
  describeRouterDriverContract,
  holdRequestThroughRouter,
  type RouterDriverFixture,
} from "../router-driver.contract.ts";
import { HaproxyDriver } from "./haproxy-driver.ts";

const ready = requireService("haproxy", "HaproxyDriver on real HAProxy");
const NAMES = ["v1-a", "v1-b", "v2-a"];
const deadline = (): AbortSignal => AbortSignal.timeout(5000);

async function startSamples(): Promise<RunningSampleService[]> {
  return Promise.all(
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
}

async function startHaproxyInFront(samples: readonly RunningSampleService[]): Promise<HaproxyService> {
  return startHaproxy({
    backends: {
      be_app: samples.map((sample) => ({ name: sample.name, address: new URL(sample.url).host, weight: 10 })),
    },
    healthCheck: { path: "/healthz", intervalMs: 200 },
  });
}

async function haproxyFixture(): Promise<RouterDriverFixture> {
  const samples = await startSamples();
  const haproxy = await startHaproxyInFront(samples);
  const routerUrl = haproxy.frontends.be_app ?? "";
  const backendUrl = (server: string): string => {
    const sample = samples.find((candidate) => candidate.name === server);
    if (sample === undefined) throw new Error(`no backend ${server}`);
    return sample.url;
  };
  return {
    driver: new HaproxyDriver({ address: haproxy.socketAddress, backend: "be_app" }),
    routerUrl,
    backends: NAMES,
    backendUrl,
    holdRequest: (server) => holdRequestThroughRouter(routerUrl, backendUrl(server), server),
    restartRouter: () => haproxy.restart(),
    teardown: async () => {
      await haproxy.stop();
      await Promise.all(samples.map((sample) => sample.close()));
    },
  };
}

describe.skipIf(!ready)("HaproxyDriver on real HAProxy with sample-service backends", () => {
  describeRouterDriverContract("HAProxy 2.6 over its runtime API", haproxyFixture);
});

describe.skipIf(!ready)("HaproxyDriver specifics on real HAProxy", () => {
  it("works the same over the TCP runtime socket", async () => {
    const samples = await startSamples();
    const haproxy = await startHaproxyInFront(samples);
    try {
      const driver = new HaproxyDriver({ address: haproxy.tcpAddress, backend: "be_app" });
      expect(await driver.setWeight("v2-a", 3, deadline())).toEqual({ ok: true, value: undefined });
      const servers = await driver.servers(deadline());
      expect(servers.ok && servers.value.map((server) => [server.name, server.weight, server.initialWeight])).toEqual([
        ["v1-a", 10, 10],
        ["v1-b", 10, 10],
        ["v2-a", 3, 10],
      ]);
      expect(await driver.sessions(deadline())).toEqual({ ok: true, value: [] });
    } finally {
      await haproxy.stop();
      await Promise.all(samples.map((sample) => sample.close()));
    }
  });

  it("notices a reload through info(); a reload without the state file wipes runtime weights, one with it keeps them", async () => {
    const haproxy = await startHaproxy({
      backends: { be_app: [{ name: "v1-a", address: "127.0.0.1:1", weight: 100 }] },
    });
    const driver = new HaproxyDriver({ address: haproxy.socketAddress, backend: "be_app" });
    const weight = async (): Promise<unknown> => {
      const result = await driver.servers(deadline());
      return result.ok && result.value[0]?.weight;
    };
    await driver.setWeight("v1-a", 10, deadline());
    const first = await driver.info(deadline());

    await haproxy.reload({ keepState: true });
    expect(await weight()).toBe(10);
    await haproxy.reload({ keepState: false });
    expect(await weight()).toBe(100);

    const second = await driver.info(deadline());
    expect(first.ok && second.ok && second.value.pid !== first.value.pid).toBe(true);
    expect(first.ok && second.ok && second.value.startedAtMs > first.value.startedAtMs).toBe(true);
    await haproxy.stop();
  });

  it("refuses names that could smuggle a second command, and reports an unknown backend as a command error", async () => {
    const haproxy = await startHaproxy({ backends: { be_app: [{ name: "v1-a", address: "127.0.0.1:1" }] } });
    const driver = new HaproxyDriver({ address: haproxy.socketAddress, backend: "be_app" });
    expect(await driver.setState("v1-a;shutdown sessions server be_app/v1-a", "drain", deadline())).toMatchObject({
      ok: false,
      code: "command",
    });
    expect(await driver.setWeight("v1-a", 1.5, deadline())).toMatchObject({ ok: false, code: "command" });
    const missing = new HaproxyDriver({ address: haproxy.socketAddress, backend: "be_missing" });
    expect(await missing.servers(deadline())).toMatchObject({ ok: false, code: "command" });
    expect(await driver.servers(AbortSignal.abort())).toMatchObject({ ok: false, code: "timeout" });
    await haproxy.stop();
  });

  it("reports a stopped HAProxy as unreachable on both sockets", async () => {
    const haproxy = await startHaproxy({ backends: { be_app: [{ name: "v1-a", address: "127.0.0.1:1" }] } });
    await haproxy.stop();
    for (const address of [haproxy.socketAddress, haproxy.tcpAddress]) {
      const driver = new HaproxyDriver({ address, backend: "be_app" });
      expect(await driver.servers(deadline())).toMatchObject({ ok: false, code: "unreachable", retryable: true });
    }
  });
});
