/**
 * The sample service's Prometheus metrics, on a registry of its own so that
 * several instances can live in one process (tests, the demo).
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** Latency buckets in seconds: dense from 1 ms to 1 s so that p99 ratios are meaningful. */
export const DURATION_BUCKETS_SECONDS = [
  0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5,
  0.75, 1, 1.5, 2, 3, 5, 10, 30, 60,
];

/** Live values the metrics read at scrape time. */
export interface MetricSources {
  runningJobs(): number;
  openDbConnections(): number;
  unflushedRecords(): number;
  quiesced(): boolean;
}

/** The metrics of one sample-service instance. */
export interface SampleMetrics {
  /** Record one finished work request: its status code and duration in seconds. */
  observeRequest(code: number, durationSeconds: number): void;
  inflight: Gauge<string>;
  jobsTotal: Counter<string>;
  /** The exposition text and its content type. */
  render(): Promise<{ readonly contentType: string; readonly text: string }>;
}

/** Create the metrics for one instance; every series carries `version` and `instance` labels. */
export function createSampleMetrics(
  labels: { version: string; instance: string },
  sources: MetricSources,
): SampleMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  const requests = new Counter({
    name: "sample_requests_total",
    help: "Work requests answered, by status code.",
    labelNames: ["code"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "sample_request_duration_seconds",
    help: "Work request duration in seconds.",
    buckets: DURATION_BUCKETS_SECONDS,
    registers: [registry],
  });
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  gauge("sample_jobs_running", "Background jobs running now.", sources.runningJobs);
  gauge("sample_db_connections", "Open database connections.", sources.openDbConnections);
  gauge("sample_unflushed_records", "Buffered records not yet flushed.", sources.unflushedRecords);
  gauge("sample_quiesced", "1 once the instance is quiesced.", () => (sources.quiesced() ? 1 : 0));
  return {
    observeRequest: (code, durationSeconds) => {
      requests.inc({ code: String(code) });
      duration.observe(durationSeconds);
    },
    inflight: new Gauge({ name: "sample_inflight_requests", help: "Work requests in flight.", registers: [registry] }),
    jobsTotal: new Counter({ name: "sample_jobs_total", help: "Background jobs started.", registers: [registry] }),
    render: async () => ({ contentType: registry.contentType, text: await registry.metrics() }),
  };
}
