/**
 * The controller process's heap policy. V8 lets an old generation grow to up
 * to four times what survived the last full collection before it collects
 * again; a controller holds a small live heap (about 58 MB at 1,000
 * operations) but allocates quickly (readings, gate checks and detector state
 * every tick), so its heap sat near that factor: 256 MB of heap for 58 MB of
 * live data, 400 MB peak RSS (`npm run bench:engine`). Growing by at most
 * 100% between full collections held the peak near 270 MB for about 8% more
 * CPU per operation-tick, measured side by side (docs/benchmarks.md, ADR 0005).
 * An operator who sets `--heap-growing-percent` on the command line keeps it.
 */
import { setFlagsFromString } from "node:v8";

/** How far the heap may grow past the live data between full collections, in percent. */
export const HEAP_GROWING_PERCENT = 100;

/** The V8 flags the policy sets, given the process's own flags (`process.execArgv`); none when the operator chose. Pure. */
export function heapPolicyFlags(execArgv: readonly string[]): string | undefined {
  const chosen = execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg));
  return chosen ? undefined : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/** Applies the policy to this process (V8 reads the flag at its next collection). */
export function applyHeapPolicy(execArgv: readonly string[] = process.execArgv): void {
  const flags = heapPolicyFlags(execArgv);
  if (flags !== undefined) setFlagsFromString(flags);
}
