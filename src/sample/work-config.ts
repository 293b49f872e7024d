/**
 * The sample service's runtime-tunable behaviour ("make this node bad"):
 * latency distribution, error rate and long requests.
 */
import { z } from "zod";
import type { LatencySpec } from "./latency-distribution.ts";

/** How `/` behaves. */
export interface WorkConfig {
  /** Log-normal latency of a normal request, in ms. */
  readonly latencyMs: LatencySpec;
  /** Share of requests answered 500, 0–1. */
  readonly errorRate: number;
  /** Share of requests that take `longRequestMs` instead, 0–1. */
  readonly longRequestShare: number;
  readonly longRequestMs: number;
}

const Share = z.number().min(0).max(1);
const Millis = z.number().min(0).max(3_600_000);

/** A partial update of {@link WorkConfig}, as `POST /config` accepts it. Unknown fields are refused. */
export const WorkConfigPatch = z.strictObject({
  latencyMs: z.strictObject({ median: Millis, p99: Millis }).optional(),
  errorRate: Share.optional(),
  longRequestShare: Share.optional(),
  longRequestMs: Millis.optional(),
});

/** Validate a whole config (start-up options). Returns an error message or `undefined`. */
export function workConfigProblem(config: WorkConfig): string | undefined {
  const parsed = WorkConfigPatch.required().safeParse(config);
  return parsed.success ? undefined : z.prettifyError(parsed.error);
}

/** `config` with the fields `patch` sets replaced. Pure. */
export function patchWorkConfig(config: WorkConfig, patch: z.infer<typeof WorkConfigPatch>): WorkConfig {
  return {
    latencyMs: patch.latencyMs ?? config.latencyMs,
    errorRate: patch.errorRate ?? config.errorRate,
    longRequestShare: patch.longRequestShare ?? config.longRequestShare,
    longRequestMs: patch.longRequestMs ?? config.longRequestMs,
  };
}
