/**
 * Gathers the facts beyond sensors that one Tick needs: freezes on the
 * domain, acknowledgements, and the progress of the operation named in
 * `plan.after`. Read-only.
 */
import type { Plan } from "../plan/types.ts";
import type { Ack, Store } from "../store/store.ts";
import type { OperationState, WorldFacts } from "./types.ts";

/** Reads the world facts for one operation's next Tick. */
export async function gatherWorld(
  store: Store,
  plan: Plan,
  operationId: string,
  state: OperationState,
): Promise<WorldFacts> {
  const [freezes, acks] = await Promise.all([
    store.activeFreezes([plan.domain]),
    needsAcks(plan) ? store.listAcks(operationId) : NO_ACKS,
  ]);
  const waitingToStart = state.phase.kind === "pending" || state.phase.kind === "waiting";
  if (plan.after === undefined || !waitingToStart) return { freezes, acks };
  return { freezes, acks, after: await afterStatus(store, plan.after.operation) };
}

const NO_ACKS: readonly Ack[] = [];
const planNeedsAcks = new WeakMap<Plan, boolean>();

/** Whether any stage of `plan` waits for acknowledgements (only then are they read every tick). */
function needsAcks(plan: Plan): boolean {
  let needs = planNeedsAcks.get(plan);
  if (needs === undefined) {
    needs = plan.stages.some((stage) => (stage.gates.confirmedBy ?? []).length > 0);
    planNeedsAcks.set(plan, needs);
  }
  return needs;
}

async function afterStatus(store: Store, planName: string): Promise<NonNullable<WorldFacts["after"]>> {
  const [latest] = await store.listOperations({ planName, limit: 1 });
  if (latest === undefined) return { found: false, sealedStages: [] };
  const sealedStages: string[] = [];
  for (let afterSeq = 0; ; ) {
    const page = await store.listEvents(latest.id, afterSeq, 500);
    for (const event of page) {
      const data = event.data;
      if (event.type === "StageSealed" && typeof data === "object" && data !== null && !Array.isArray(data)) {
        const { stage, track } = data as { readonly stage?: unknown; readonly track?: unknown };
        if (typeof stage === "string" && track !== "rollback") sealedStages.push(stage);
      }
    }
    const last = page.at(-1);
    if (last === undefined || page.length < 500) break;
    afterSeq = last.seq;
  }
  return { found: true, status: latest.status, sealedStages };
}
