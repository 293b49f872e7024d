/**
 * Real services for end-to-end tests (ARCHITECTURE.md §10): each helper
 * starts a Debian-packaged binary on loopback, on free ports, with its config
 * in a fresh temporary directory, waits until it is ready, keeps its log, and
 * returns `{ ..., logs(), stop() }`. Guard the tests with `requireService`.
 */

export { binaryPath, resolveBinary, SERVICE_BINARIES, type ServiceName } from "./binaries.ts";
export { freePort } from "./free-port.ts";
export { type HaproxyService, type StartHaproxyOptions, startHaproxy } from "./haproxy.ts";
export type { HaproxyHealthCheck, HaproxyServerSpec } from "./haproxy-config.ts";
export { type ManagedProcess, startProcess } from "./managed-process.ts";
export {
  type PostgresInstance,
  type PostgresService,
  type PostgresSetting,
  type StartPostgresOptions,
  startPostgres,
} from "./postgres.ts";
export { type PrometheusService, type StartPrometheusOptions, startPrometheus } from "./prometheus.ts";
export { type RedisNode, type RedisService, startRedis } from "./redis.ts";
export { requireService } from "./require-service.ts";
export { type ServiceHandle, ServiceProcesses } from "./service-handle.ts";
export { useServiceHooks } from "./service-hooks.ts";
export { formatLogs, liveServiceLogs, stopAllServices } from "./service-registry.ts";
export { waitUntil } from "./wait-until.ts";
