/**
 * The simulator beside the real stack: for each strategy × release, the
 * real medians (HAProxy) of failed requests during the rollout and of the
 * rollout's duration, the simulator's, and their ratio (the goal:
 * within a factor of 2). Pure.
 */
import type { SimulatedRun } from "./simulate.ts";
import type { GroupMedians } from "./summary.ts";

/** One row of the comparison. */
export interface SimulatorComparison {
  readonly strategy: string;
  readonly release: string;
  readonly real: { readonly outcome: string; readonly failedDuringRollout: number; readonly durationS: number };
  readonly simulated: { readonly outcome: string; readonly failedRequests: number; readonly durationS: number };
  /** simulated / real; `null` when the real value is 0 (then within 2 only if the simulated one is 0 too). */
  readonly failedRatio: number | null;
  readonly durationRatio: number | null;
  readonly withinFactor2: boolean;
  /** The row as printed. */
  readonly line: string;
}

function ratio(simulated: number, real: number): number | null {
  return real === 0 ? null : Math.round((simulated / real) * 100) / 100;
}

function within2(simulated: number, real: number): boolean {
  if (real === 0 || simulated === 0) return real === simulated;
  return simulated / real <= 2 && real / simulated <= 2;
}

/** Rows for every simulated run whose strategy × release ran on HAProxy. */
export function compareWithSimulator(
  medians: readonly GroupMedians[],
  simulated: readonly SimulatedRun[],
): SimulatorComparison[] {
  return simulated.flatMap((sim) => {
    const real = medians.find(
      (g) => g.router === "haproxy" && g.strategy === sim.strategy && g.release === sim.release,
    );
    if (real === undefined) return [];
    const withinFactor2 =
      within2(sim.failedRequests, real.failedDuringRollout) && within2(sim.durationS, real.durationS);
    return [
      {
        strategy: sim.strategy,
        release: sim.release,
        real: {
          outcome: [...new Set(real.outcomes)].join("/"),
          failedDuringRollout: real.failedDuringRollout,
          durationS: real.durationS,
        },
        simulated: { outcome: sim.outcome, failedRequests: sim.failedRequests, durationS: sim.durationS },
        failedRatio: ratio(sim.failedRequests, real.failedDuringRollout),
        durationRatio: ratio(sim.durationS, real.durationS),
        withinFactor2,
        line: `simulator ${sim.release} ${sim.strategy}: failed ${sim.failedRequests} vs real ${real.failedDuringRollout}, duration ${sim.durationS} s vs real ${real.durationS} s (${sim.outcome} vs ${[...new Set(real.outcomes)].join("/")}) ${withinFactor2 ? "within 2x" : "NOT within 2x"}`,
      },
    ];
  });
}
