import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type HaproxyService, startHaproxy } from "../../../../test/services/haproxy.ts";
import { requireService } from "../../../../test/services/require-service.ts";
import { HaproxyDriver } from "./haproxy-driver.ts";

const ready = requireService("haproxy", "HaproxyDriver on real HAProxy");
const deadline = (): AbortSignal => AbortSignal.timeout(5000);

/** A backend answering `?status=` (default 200) after `?ms=` (default 0). */
async function startBackend(): Promise<{ address: string; server: Server }> {
  const server = createServer((req, res) => {
    const params = new URL(req.url ?? "/", "http://backend").searchParams;
    setTimeout(
      () => {
        res.statusCode = Number(params.get("status") ?? 200);
        res.end("done");
      },
      Number(params.get("ms") ?? 0),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe.skipIf(!ready)("HaproxyDriver on real HAProxy", () => {
  let backends: Awaited<ReturnType<typeof startBackend>>[];
  let haproxy: HaproxyService;
  let frontend: string;

  beforeAll(async () => {
    backends = [await startBackend(), await startBackend()];
    haproxy = await startHaproxy({
      backends: {
        be_app: [
          { name: "v1-a", address: backends[0]?.address ?? "", weight: 100 },
          { name: "v2-a", address: backends[1]?.address ?? "", weight: 50 },
        ],
      },
    });
    frontend = haproxy.frontends.be_app ?? "";
  });
  afterAll(async () => {
    for (const backend of backends) backend.server.close();
  });

  const unixDriver = (): HaproxyDriver => new HaproxyDriver({ address: haproxy.socketAddress, backend: "be_app" });
  const tcpDriver = (): HaproxyDriver => new HaproxyDriver({ address: haproxy.tcpAddress, backend: "be_app" });

  beforeEach(async () => {
    const driver = unixDriver();
    for (const [server, weight] of [
      ["v1-a", 100],
      ["v2-a", 50],
    ] as const) {
      await driver.setWeight(server, weight, deadline());
      await driver.setState(server, "ready", deadline());
    }
  });

  describe.each([
    ["unix socket", unixDriver],
    ["TCP", tcpDriver],
  ])("over the %s", (_transport, makeDriver) => {
    it("lists every server with its configured weight, admin state and status", async () => {
      const result = await makeDriver().servers(deadline());
      expect(
        result.ok &&
          result.value.map(({ name, weight, initialWeight, adminState, status }) => ({
            name,
            weight,
            initialWeight,
            adminState,
            status,
          })),
      ).toEqual([
        { name: "v1-a", weight: 100, initialWeight: 100, adminState: "ready", status: "no check" },
        { name: "v2-a", weight: 50, initialWeight: 50, adminState: "ready", status: "no check" },
      ]);
    });

    it("sets a weight idempotently and reads it back, keeping the configured weight apart", async () => {
      const driver = makeDriver();
      expect(await driver.setWeight("v2-a", 7, deadline())).toEqual({ ok: true, value: undefined });
      expect(await driver.setWeight("v2-a", 7, deadline())).toEqual({ ok: true, value: undefined });
      const result = await driver.servers(deadline());
      expect(result.ok && result.value.find((server) => server.name === "v2-a")).toMatchObject({
        weight: 7,
        initialWeight: 50,
      });
    });
  });

  it("moves a server through drain and maint and back to ready", async () => {
    const driver = unixDriver();
    const stateOf = async (): Promise<unknown> => {
      const result = await driver.servers(deadline());
      return result.ok && result.value.find((server) => server.name === "v1-a")?.adminState;
    };
    for (const state of ["drain", "maint", "ready"] as const) {
      expect(await driver.setState("v1-a", state, deadline())).toEqual({ ok: true, value: undefined });
      expect(await stateOf()).toBe(state);
    }
  });

  it("counts requests and 5xx answers per server", async () => {
    const driver = unixDriver();
    await driver.setWeight("v2-a", 0, deadline());
    const before = await driver.servers(deadline());
    for (const status of [200, 500, 503, 200]) await (await fetch(`${frontend}/?status=${status}`)).text();
    const after = await driver.servers(deadline());
    const v1 = (result: typeof before) =>
      result.ok ? result.value.find((server) => server.name === "v1-a") : undefined;
    expect((v1(after)?.requestsTotal ?? 0) - (v1(before)?.requestsTotal ?? 0)).toBe(4);
    expect((v1(after)?.errorsTotal ?? 0) - (v1(before)?.errorsTotal ?? 0)).toBe(2);
  });

  it("shows each in-flight request as a session on its server, and none once they end", async () => {
    const driver = unixDriver();
    await driver.setWeight("v2-a", 0, deadline());
    const held = [fetch(`${frontend}/?ms=1500`), fetch(`${frontend}/?ms=1500`)];
    await expect
      .poll(async () => {
        const result = await driver.sessions(deadline());
        return result.ok ? result.value.map((session) => session.server) : result.code;
      })
      .toEqual(["v1-a", "v1-a"]);
    const during = await driver.sessions(deadline());
    expect(during.ok && during.value.every((session) => session.ageMs > 0)).toBe(true);
    await Promise.all(held.map(async (response) => (await response).text()));
    expect(await driver.sessions(deadline())).toEqual({ ok: true, value: [] });
  });

  it("reports unknown servers and backends as command errors, never as success", async () => {
    expect(await unixDriver().setWeight("v9-z", 10, deadline())).toMatchObject({ ok: false, code: "command" });
    expect(await unixDriver().setWeight("v1-a", 300, deadline())).toMatchObject({ ok: false, code: "command" });
    expect(await unixDriver().setState("v1-a;shutdown", "drain", deadline())).toMatchObject({
      ok: false,
      code: "command",
    });
    const missing = new HaproxyDriver({ address: haproxy.socketAddress, backend: "be_missing" });
    expect(await missing.servers(deadline())).toMatchObject({ ok: false, code: "command" });
  });

  it("reports a deadline that has passed as a timeout", async () => {
    expect(await unixDriver().servers(AbortSignal.abort())).toMatchObject({ ok: false, code: "timeout" });
  });
});

describe.skipIf(!ready)("HaproxyDriver across HAProxy reloads and restarts", () => {
  it("notices a reload through info(), and a reload without the state file wipes runtime weights", async () => {
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
    expect(first.ok && second.ok && second.value.startedAtMs >= first.value.startedAtMs).toBe(true);
    await haproxy.stop();
  });

  it("reports a stopped HAProxy as unreachable", async () => {
    const haproxy = await startHaproxy({ backends: { be_app: [{ name: "v1-a", address: "127.0.0.1:1" }] } });
    await haproxy.stop();
    for (const address of [haproxy.socketAddress, haproxy.tcpAddress]) {
      const driver = new HaproxyDriver({ address, backend: "be_app" });
      expect(await driver.servers(deadline())).toMatchObject({ ok: false, code: "unreachable", retryable: true });
    }
  });
});
