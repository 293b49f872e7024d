/**
 * `bench/peers.json`: the peer strategies' settings, derived from the
 * workload (`drain-time.ts`) and committed before any measured run. The
 * benchmark only reads it; `--write-peers` writes it (and refuses to run
 * measured when the file no longer matches the workload).
 */
import { z } from "zod";
import { drainTimes } from "./drain-time.ts";
import type { Workload } from "./workload.ts";

const timerPeer = z.strictObject({
  pauseMs: z.int().positive(),
  scaleDownDelayMs: z.int().nonnegative(),
  maxErrorRate: z.number().min(0).max(1),
  terminationGraceMs: z.int().nonnegative(),
});

const peersSchema = z.strictObject({
  comment: z.string(),
  drainTime: z.strictObject({ medianMs: z.int().positive(), worstMs: z.int().positive(), method: z.string() }),
  weightSteps: z.array(z.number().min(1).max(100)).min(1),
  naive: z.strictObject({ terminationGraceMs: z.int().nonnegative() }),
  "timer-canary-typical": timerPeer,
  "timer-canary-safe": timerPeer,
});

/** The peers' settings, durations in ms. */
export type PeersFile = z.infer<typeof peersSchema>;

/** One timer canary's settings. */
export type TimerPeerSettings = z.infer<typeof timerPeer>;

/** Kubernetes' default `terminationGracePeriodSeconds`. */
const TERMINATION_GRACE_MS = 30_000;

/** Argo Rollouts analysis as teams write it: abort above a 5% aggregate error rate. */
const MAX_ERROR_RATE = 0.05;

/** The settings `workload` implies. Pure. */
export function derivePeers(workload: Workload): PeersFile {
  const drain = drainTimes(workload);
  const timer = (ms: number): TimerPeerSettings => ({
    pauseMs: ms,
    scaleDownDelayMs: ms,
    maxErrorRate: MAX_ERROR_RATE,
    terminationGraceMs: TERMINATION_GRACE_MS,
  });
  return {
    comment:
      "Written by `npm run bench:cascade -- --write-peers` from bench/cascade/workload.ts and committed before any measured run; never tuned after.",
    drainTime: {
      ...drain,
      method:
        "per node: P(T<=t) = exp(-lambda (L - t)) x clamp(1 - (D - t)/J, 0, 1), long requests Poisson at lambda = rate/node x longShare lasting L, a job every J lasting D; median by bisection (rounded up to 100 ms), worst = max(L, D)",
    },
    weightSteps: [...workload.weightSteps],
    naive: { terminationGraceMs: TERMINATION_GRACE_MS },
    "timer-canary-typical": timer(drain.medianMs),
    "timer-canary-safe": timer(drain.worstMs),
  };
}

/** Parses the file's text. Errors are values. Pure. */
export function parsePeers(
  text: string,
): { readonly ok: true; readonly value: PeersFile } | { readonly ok: false; readonly message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `bench/peers.json is not JSON: ${(error as Error).message}` };
  }
  const parsed = peersSchema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, message: `bench/peers.json ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}` };
}

/** The file's text for `peers`. Pure. */
export function renderPeers(peers: PeersFile): string {
  return `${JSON.stringify(peers, null, 2)}\n`;
}
