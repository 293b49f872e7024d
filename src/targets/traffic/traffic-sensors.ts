/**
 * The sensors a traffic target provides (`target.<name>` in plans). Each is
 * a vector keyed by server name, every server the driver lists present, and
 * labelled `{ cohort, adminState, weight, routable, status }` so gates can
 * filter with `where`:
 *
 * - `sessions`: requests in flight now.
 * - `up`: 1 when the router reports the server healthy, else 0.
 * - `requests`, `errors`: cumulative counters (errors: 5xx + response + connection errors).
 * - `weights`: the runtime weight.
 * - `displaced`: requests from before the sealing stage's action on servers
 *   whose share it reduced (see `displaced-work.ts`); 0 outside a sealing stage.
 * - `drain_report`: the application's own outstanding work per server in
 *   `drain` (the servers being quiesced); any of them unreachable fails the
 *   reading, and so does having no `drainReport` configured.
 *
 * Reads never throw: a failing driver gives a failed reading.
 */
import { abortedReading, failedReading } from "../../sensors/failed-reading.ts";
import type { NodeLabels, ReadContext, Reading, Sensor } from "../../sensors/sensor.ts";
import { countDisplaced } from "./displaced-work.ts";
import { readDrainReport } from "./drain-report.ts";
import type { RouterDriver, ServerStat } from "./router-driver.ts";
import { nodeRef } from "./router-snapshot.ts";
import { isUp, type ServerPatterns, serverLabels } from "./server-sets.ts";
import { DEFAULT_DRAIN_FIELDS, DEFAULT_NODE_TIMEOUT_MS, type TrafficConfig } from "./traffic-config.ts";

/** Names of the sensors every traffic target provides. */
export const TRAFFIC_SENSOR_NAMES = [
  "sessions",
  "up",
  "requests",
  "errors",
  "weights",
  "displaced",
  "drain_report",
] as const;

/** One of {@link TRAFFIC_SENSOR_NAMES}. */
export type TrafficSensorName = (typeof TRAFFIC_SENSOR_NAMES)[number];

function labelsOf(servers: readonly ServerStat[], patterns: ServerPatterns): NodeLabels {
  return Object.fromEntries(servers.map((server) => [server.name, serverLabels(server, patterns)]));
}

function vector(
  ctx: ReadContext,
  values: Readonly<Record<string, number>>,
  labels: NodeLabels,
  detail?: string,
): Reading {
  return {
    ok: true,
    observedAtMs: ctx.nowMs,
    value: { type: "vector", values, labels },
    ...(detail === undefined ? {} : { detail }),
  };
}

function failed(result: { readonly code: string; readonly message: string }, ctx: ReadContext): Reading {
  if (ctx.signal.aborted) return abortedReading(ctx.signal, ctx.nowMs);
  return failedReading(result.code, result.message, ctx.nowMs);
}

/** The servers, or the failed reading that stands for them. */
type ServersRead =
  | { readonly ok: true; readonly servers: readonly ServerStat[] }
  | { readonly ok: false; readonly reading: Reading };

async function readServers(driver: RouterDriver, ctx: ReadContext): Promise<ServersRead> {
  const listed = await driver.servers(ctx.signal);
  if (!listed.ok) return { ok: false, reading: failed(listed, ctx) };
  if (listed.value.length === 0) {
    return { ok: false, reading: failedReading("empty", "the router lists no servers in the backend", ctx.nowMs) };
  }
  return { ok: true, servers: listed.value };
}

/** The sensors of one target instance over `driver`. */
export function trafficSensors(
  driver: RouterDriver,
  config: TrafficConfig,
): Readonly<Record<TrafficSensorName, Sensor>> {
  const perServer = (measure: (server: ServerStat) => number): Sensor => ({
    async read(ctx) {
      const servers = await readServers(driver, ctx);
      if (!servers.ok) return servers.reading;
      const values = Object.fromEntries(servers.servers.map((server) => [server.name, measure(server)]));
      return vector(ctx, values, labelsOf(servers.servers, config));
    },
  });

  const displaced: Sensor = {
    async read(ctx) {
      const [servers, sessions] = await Promise.all([readServers(driver, ctx), driver.sessions(ctx.signal)]);
      if (!servers.ok) return servers.reading;
      if (!sessions.ok) return failed(sessions, ctx);
      const count = countDisplaced({
        servers: servers.servers,
        sessions: sessions.value,
        patterns: config,
        nowMs: ctx.nowMs,
        ...(ctx.stageAppliedAtMs === undefined ? {} : { stageAppliedAtMs: ctx.stageAppliedAtMs }),
        ...(ctx.stageAction === undefined ? {} : { stageAction: ctx.stageAction }),
      });
      if (!count.ok) return failedReading("invalid-action", count.message, ctx.nowMs);
      return vector(ctx, count.values, labelsOf(servers.servers, config), count.detail);
    },
  };

  const drainReport: Sensor = {
    async read(ctx) {
      const report = config.drainReport;
      if (report === undefined) {
        return failedReading("not-configured", "no drainReport in the target config", ctx.nowMs);
      }
      const servers = await readServers(driver, ctx);
      if (!servers.ok) return servers.reading;
      const drained = servers.servers.filter((server) => server.adminState === "drain");
      if (drained.length === 0) return failedReading("empty", "no server is in drain", ctx.nowMs);
      const timeoutMs = config.timeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
      const fields = report.fields ?? DEFAULT_DRAIN_FIELDS;
      const results = await Promise.all(
        drained.map(async (server) => {
          const node = nodeRef(server, config.addresses);
          if (!node.ok) return node;
          return readDrainReport(report.url, node.value, fields, timeoutMs, ctx.signal);
        }),
      );
      const values: Record<string, number> = {};
      for (const [index, result] of results.entries()) {
        const name = drained[index]?.name ?? "";
        if (!result.ok) return failedReading(result.code, `drain report of ${name}: ${result.message}`, ctx.nowMs);
        values[name] = result.value;
      }
      return vector(ctx, values, labelsOf(drained, config));
    },
  };

  return {
    sessions: perServer((server) => server.currentSessions),
    up: perServer((server) => (isUp(server.status) ? 1 : 0)),
    requests: perServer((server) => server.requestsTotal),
    errors: perServer((server) => server.errorsTotal),
    weights: perServer((server) => server.weight),
    displaced,
    drain_report: drainReport,
  };
}
