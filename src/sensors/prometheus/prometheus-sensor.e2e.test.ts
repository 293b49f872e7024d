import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HaproxyService, startHaproxy } from "../../../test/services/haproxy.ts";
import { type PrometheusService, startPrometheus } from "../../../test/services/prometheus.ts";
import { requireService } from "../../../test/services/require-service.ts";
import { type LocalHttpServer, startLocalHttpServer } from "../../util/local-http-server.ts";
import type { Reading } from "../sensor.ts";
import { prometheusSensorDefinition } from "./prometheus-sensor.ts";

const ready = requireService(["haproxy", "prometheus"], "prometheus sensor on real Prometheus scraping real HAProxy");

describe.skipIf(!ready)("prometheus sensor on real Prometheus scraping HAProxy's exporter", () => {
  let backends: LocalHttpServer[];
  let haproxy: HaproxyService;
  let prometheus: PrometheusService;

  beforeAll(async () => {
    // v1-a answers 200; v2-a answers 500 to every request.
    backends = [
      await startLocalHttpServer((_request, _body, response) => response.end("ok")),
      await startLocalHttpServer((_request, _body, response) => response.writeHead(500).end("boom")),
    ];
    haproxy = await startHaproxy({
      backends: {
        be_app: backends.map((backend, i) => ({
          name: i === 0 ? "v1-a" : "v2-a",
          address: new URL(backend.origin).host,
        })),
      },
    });
    prometheus = await startPrometheus({ scrapeTargets: [haproxy.exporterUrl], scrapeIntervalMs: 1000 });
    for (let i = 0; i < 10; i++) await (await fetch(haproxy.frontends.be_app ?? "")).text();
    await prometheus.waitForTargetsUp();
  });
  afterAll(async () => {
    await Promise.all(backends.map((backend) => backend.close()));
  });

  const readSensor = (query: string, nodeLabel?: string): Promise<Reading> => {
    const config = prometheusSensorDefinition.config.parse({
      url: prometheus.url,
      query,
      ...(nodeLabel ? { nodeLabel } : {}),
    });
    return prometheusSensorDefinition
      .create(config, { planDir: "." })
      .read({ nowMs: Date.now(), signal: AbortSignal.timeout(5000) });
  };

  it("reads HAProxy's 5xx counters as a vector keyed by server, dated by the scrape", async () => {
    const query = 'sum by (server) (haproxy_server_http_responses_total{proxy="be_app",code="5xx"})';
    const startedMs = Date.now();
    await expect
      .poll(async () => readSensor(query, "server"), { timeout: 10_000, interval: 500 })
      .toMatchObject({
        ok: true,
        value: { type: "vector", values: { "v1-a": 0, "v2-a": 5 } },
      });
    const reading = await readSensor('haproxy_server_http_responses_total{proxy="be_app",code="5xx"}', "server");
    expect(reading.ok && reading.observedAtMs).toBeGreaterThan(startedMs - 60_000);
    expect(reading.ok && reading.observedAtMs).toBeLessThanOrEqual(Date.now());
  });

  it("reads a scalar from one series and refuses several", async () => {
    await expect
      .poll(async () => readSensor('sum(haproxy_server_http_responses_total{proxy="be_app",code="2xx"})'), {
        timeout: 10_000,
        interval: 500,
      })
      .toMatchObject({ ok: true, value: { type: "scalar", value: 5 } });
    expect(await readSensor('haproxy_server_http_responses_total{proxy="be_app",code="2xx"}')).toMatchObject({
      ok: false,
      code: "ambiguous",
    });
  });

  it("fails closed once HAProxy is gone: its series go stale and the reading is empty", async () => {
    await haproxy.stop();
    await expect
      .poll(async () => readSensor('haproxy_server_http_responses_total{proxy="be_app",code="5xx"}', "server"), {
        timeout: 15_000,
        interval: 500,
      })
      .toMatchObject({ ok: false, code: "empty" });
  });
});
