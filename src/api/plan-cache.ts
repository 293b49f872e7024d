/**
 * Pinned plans by hash: parsing a plan for every request (and scrape) would
 * cost more than the request itself. Bounded; a plan that no longer
 * validates is cached as such.
 */
import { loadPlanSource } from "../cli/load-plan.ts";
import type { Registries } from "../cli/wiring.ts";
import type { Plan } from "../plan/types.ts";
import type { OperationRecord } from "../store/store.ts";

/** A bounded cache of parsed pinned plans. */
export class PlanCache {
  readonly #registries: Registries;
  readonly #plans = new Map<string, Plan | undefined>();
  readonly #max: number;

  /** @param registries kinds to parse with; @param max plans kept (default 200) */
  constructor(registries: Registries, max = 200) {
    this.#registries = registries;
    this.#max = max;
  }

  /** The operation's pinned plan, or undefined when it no longer validates. */
  planOf(record: Pick<OperationRecord, "planHash" | "planSource" | "planFile">): Plan | undefined {
    const key = keyOf(record);
    if (this.#plans.has(key)) return this.#plans.get(key);
    const loaded = loadPlanSource(record.planSource, record.planFile, this.#registries);
    const plan = loaded.ok ? loaded.loaded.plan : undefined;
    this.remember(record, plan);
    return plan;
  }

  /** Records a plan just parsed (a submission), so it is not parsed again. */
  remember(record: Pick<OperationRecord, "planHash" | "planFile">, plan: Plan | undefined): void {
    if (this.#plans.size >= this.#max) {
      const oldest = this.#plans.keys().next().value;
      if (oldest !== undefined) this.#plans.delete(oldest);
    }
    this.#plans.set(keyOf(record), plan);
  }
}

function keyOf(record: Pick<OperationRecord, "planHash" | "planFile">): string {
  return `${record.planHash}\u0000${record.planFile}`;
}
