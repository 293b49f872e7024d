/**
 * The contract every {@link RouterDriver} must pass, against a real router
 * with real backends (the sample service). Router-neutral: the built-in
 * router and HAProxy each provide a fixture and run
 * `describeRouterDriverContract(name, setup)` from a test file.
 *
 * Counter checks poll until they hold, because routers update statistics
 * asynchronously; nothing here depends on wall-clock thresholds.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RouterDriver, ServerStat } from "./router-driver.ts";

/** Ends a held request; resolves the HTTP status the client finally received. */
export type ReleaseHeldRequest = () => Promise<number>;

/** What a router fixture gives the contract suite. */
export interface RouterDriverFixture {
  readonly driver: RouterDriver;
  /** The router's public base URL on 127.0.0.1 (traffic goes here). */
  readonly routerUrl: string;
  /** At least three server names, each a sample service with equal weight > 0, all `ready`. */
  readonly backends: readonly string[];
  /** The sample service behind `server`, reached directly (for `POST /config`). */
  backendUrl(server: string): string;
  /** Send a request through the router that stays in flight on `server` until released. */
  holdRequest(server: string): Promise<ReleaseHeldRequest>;
  /** Stop the router and start it again on the same addresses; the driver must keep working. */
  restartRouter(): Promise<void>;
  /** Stop everything the fixture started. */
  teardown(): Promise<void>;
}

/**
 * Hold a request on `server` through the router with the sample service's
 * `/hold?on=<server>`: requests landing elsewhere return at once and are
 * retried, until one is held by `server` (seen in its `/holds`).
 * For fixtures whose backends are sample services.
 */
export async function holdRequestThroughRouter(
  routerUrl: string,
  backendUrl: string,
  server: string,
): Promise<ReleaseHeldRequest> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const key = randomUUID();
    const response = fetch(`${routerUrl}/hold?key=${key}&on=${encodeURIComponent(server)}`);
    let answered = false;
    const markAnswered = (): void => {
      answered = true;
    };
    response.then(markAnswered, markAnswered);
    while (!answered) {
      const holds = (await (await fetch(`${backendUrl}/holds`)).json()) as { holds: string[] };
      if (holds.holds.includes(key)) {
        return async () => {
          await fetch(`${backendUrl}/holds/${key}/release`, { method: "POST" });
          const answer = await response;
          await answer.arrayBuffer();
          return answer.status;
        };
      }
      await pause(5);
    }
    await (await response).arrayBuffer(); // landed on another server: answered at once
  }
  throw new Error(`could not hold a request on ${server}: the router never sent one there`);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const signal = (): AbortSignal => AbortSignal.timeout(5000);

async function eventually(check: () => Promise<void>, attempts = 100): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await check();
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await pause(50);
    }
  }
}

/** Register the contract tests for one driver. `setup` runs once for the file. */
export function describeRouterDriverContract(name: string, setup: () => Promise<RouterDriverFixture>): void {
  describe(`RouterDriver contract: ${name}`, () => {
    let fixture: RouterDriverFixture;
    let initialWeights: Map<string, number>;

    const servers = async (): Promise<Map<string, ServerStat>> => {
      const result = await fixture.driver.servers(signal());
      if (!result.ok) throw new Error(`servers() failed: ${result.code} ${result.message}`);
      return new Map(result.value.map((server) => [server.name, server]));
    };
    const stat = async (server: string): Promise<ServerStat> => {
      const found = (await servers()).get(server);
      if (found === undefined) throw new Error(`servers() lacks ${server}`);
      return found;
    };
    const sendThroughRouter = async (count: number): Promise<number[]> => {
      const statuses: number[] = [];
      for (let i = 0; i < count; i += 1) {
        const response = await fetch(`${fixture.routerUrl}/`);
        await response.arrayBuffer();
        statuses.push(response.status);
      }
      return statuses;
    };
    const configureBackend = async (server: string, config: unknown): Promise<void> => {
      const response = await fetch(`${fixture.backendUrl(server)}/config`, {
        method: "POST",
        body: JSON.stringify(config),
      });
      expect(response.status).toBe(200);
    };
    const onlyServerTakingTraffic = async (server: string): Promise<void> => {
      for (const other of fixture.backends) {
        if (other !== server)
          expect(await fixture.driver.setWeight(other, 0, signal())).toEqual({ ok: true, value: undefined });
      }
    };

    beforeAll(async () => {
      fixture = await setup();
      expect(fixture.backends.length).toBeGreaterThanOrEqual(3);
      await eventually(async () => {
        const all = await servers();
        for (const server of fixture.backends) expect(all.get(server)?.status).toBe("UP");
      });
      initialWeights = new Map([...(await servers()).values()].map((server) => [server.name, server.weight]));
    });

    afterEach(async () => {
      for (const server of fixture.backends) {
        await fixture.driver.setState(server, "ready", signal());
        await fixture.driver.setWeight(server, initialWeights.get(server) ?? 1, signal());
        await configureBackend(server, { errorRate: 0 });
      }
    });

    afterAll(async () => {
      await fixture?.driver.close();
      await fixture?.teardown();
    });

    it("lists every backend with its weight, admin state and counters", async () => {
      const all = await servers();
      for (const server of fixture.backends) {
        const found = all.get(server);
        expect(found).toMatchObject({ name: server, adminState: "ready", status: "UP", queued: 0 });
        expect(found?.weight).toBeGreaterThan(0);
        expect(found?.weight).toBeLessThanOrEqual(256);
        expect(found?.currentSessions).toBe(0);
      }
    });

    it("counts every request against the server that took it", async () => {
      const before = await servers();
      expect(await sendThroughRouter(12)).toEqual(Array<number>(12).fill(200));
      await eventually(async () => {
        const after = await servers();
        const delta = (field: "requestsTotal" | "errorsTotal") =>
          fixture.backends.reduce(
            (sum, server) => sum + (after.get(server)?.[field] ?? 0) - (before.get(server)?.[field] ?? 0),
            0,
          );
        expect(delta("requestsTotal")).toBe(12);
        expect(delta("errorsTotal")).toBe(0);
      });
    });

    it("counts a backend's 500 answers as that server's errors", async () => {
      const [bad = "", good = ""] = fixture.backends;
      await onlyServerTakingTraffic(bad);
      await configureBackend(bad, { errorRate: 1 });
      const [badBefore, goodBefore] = [await stat(bad), await stat(good)];
      expect(await sendThroughRouter(5)).toEqual([500, 500, 500, 500, 500]);
      await eventually(async () => {
        const badAfter = await stat(bad);
        expect(badAfter.requestsTotal - badBefore.requestsTotal).toBe(5);
        expect(badAfter.errorsTotal - badBefore.errorsTotal).toBe(5);
      });
      expect((await stat(good)).errorsTotal).toBe(goodBefore.errorsTotal);
    });

    it("sets a weight idempotently, reads it back, and refuses invalid weights and unknown servers", async () => {
      const [server = ""] = fixture.backends;
      expect(await fixture.driver.setWeight(server, 37, signal())).toEqual({ ok: true, value: undefined });
      expect(await fixture.driver.setWeight(server, 37, signal())).toEqual({ ok: true, value: undefined });
      expect((await stat(server)).weight).toBe(37);
      expect((await fixture.driver.setWeight(server, 257, signal())).ok).toBe(false);
      expect((await fixture.driver.setWeight(server, -1, signal())).ok).toBe(false);
      expect((await fixture.driver.setWeight("no-such-server", 1, signal())).ok).toBe(false);
      expect((await stat(server)).weight).toBe(37);
    });

    it("sets an admin state idempotently and reads it back", async () => {
      const [server = ""] = fixture.backends;
      for (const state of ["drain", "drain", "maint", "maint", "ready", "ready"] as const) {
        expect(await fixture.driver.setState(server, state, signal())).toEqual({ ok: true, value: undefined });
        expect((await stat(server)).adminState).toBe(state);
      }
      expect((await fixture.driver.setState("no-such-server", "drain", signal())).ok).toBe(false);
    });

    for (const [how, takeOut] of [
      ["weight 0", (driver: RouterDriver, server: string) => driver.setWeight(server, 0, signal())],
      ["drain", (driver: RouterDriver, server: string) => driver.setState(server, "drain", signal())],
    ] as const) {
      it(`${how}: sends no new requests to the server while its in-flight request finishes`, async () => {
        const [server = ""] = fixture.backends;
        const release = await fixture.holdRequest(server);
        try {
          expect(await takeOut(fixture.driver, server)).toEqual({ ok: true, value: undefined });
          const before = await stat(server);
          expect(before.currentSessions).toBeGreaterThanOrEqual(1);
          expect(await sendThroughRouter(9)).toEqual(Array<number>(9).fill(200));
          expect((await stat(server)).requestsTotal).toBe(before.requestsTotal);
        } finally {
          expect(await release()).toBe(200);
        }
        await eventually(async () => expect((await stat(server)).currentSessions).toBe(0));
      });
    }

    it("reports an in-flight request on the right server, with a growing age", async () => {
      const [, server = ""] = fixture.backends;
      const release = await fixture.holdRequest(server);
      try {
        const ages = async (): Promise<number[]> => {
          const result = await fixture.driver.sessions(signal());
          if (!result.ok) throw new Error(`sessions() failed: ${result.code}`);
          return result.value.filter((session) => session.server === server).map((session) => session.ageMs);
        };
        const first = await ages();
        expect(first).toHaveLength(1);
        await eventually(async () => expect((await ages())[0]).toBeGreaterThan(first[0] ?? 0));
        for (const other of fixture.backends.filter((name) => name !== server)) {
          const result = await fixture.driver.sessions(signal());
          expect(result.ok && result.value.some((session) => session.server === other)).toBe(false);
        }
      } finally {
        expect(await release()).toBe(200);
      }
    });

    it("reports the same start time on every call, and a new one after a restart", async () => {
      const first = await fixture.driver.info(signal());
      const second = await fixture.driver.info(signal());
      if (!first.ok || !second.ok) throw new Error("info() failed");
      expect(second.value.startedAtMs).toBe(first.value.startedAtMs);
      expect(second.value.nowMs).toBeGreaterThanOrEqual(first.value.nowMs);
      await fixture.restartRouter();
      await eventually(async () => {
        const after = await fixture.driver.info(signal());
        expect(after.ok && after.value.startedAtMs !== first.value.startedAtMs).toBe(true);
      });
      expect((await fixture.driver.servers(signal())).ok).toBe(true);
    });
  });
}
