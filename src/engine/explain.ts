/**
 * One line for humans about where an operation is and what it waits for:
 * `stage 2/4 canary-25: waiting — displaced legacy requests 143 > 0 for 12s`,
 * `queued: domain prod-eu in transition by checkout-v2 stage 2`,
 * `halted: guard error-rate: ...`.
 */
import type { Plan } from "../plan/types.ts";
import { retryText } from "./apply.ts";
import { stepAt, stepLabel } from "./cursor.ts";
import { formatDuration } from "./format.ts";
import { readInternal } from "./internal.ts";
import type { Cursor, GateCheck, OperationState } from "./types.ts";

const NEGATED: Readonly<Record<string, string>> = { "<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=" };

/** A failing gate as a phrase: `displaced legacy requests 143 > 0`, `legacy sessions: stale: ...`. */
export function failingText(check: GateCheck): string {
  if (check.gate === "confirmed") return `awaiting acknowledgement from ${check.label}`;
  if (/^[a-z][a-z-]*: /.test(check.observed) || check.observed.endsWith("in a row)")) {
    return `${check.label}: ${check.observed}`;
  }
  const match = /^(<=|>=|<|>|==) (.*)$/.exec(check.expected);
  const negated = match === null ? undefined : NEGATED[match[1] ?? ""];
  if (match === null || negated === undefined) return `${check.label} ${check.observed} (want ${check.expected})`;
  return `${check.label} ${check.observed} ${negated} ${match[2]}`;
}

function where(state: OperationState, plan: Plan, cursor: Cursor): string {
  const step = stepAt(cursor, state, plan);
  return step === undefined ? `${cursor.track} ${cursor.index + 1}` : stepLabel(cursor, step);
}

/** One line describing the operation at `nowMs` (ms since the epoch). Pure. */
export function explain(state: OperationState, plan: Plan, nowMs: number): string {
  const phase = state.phase;
  switch (phase.kind) {
    case "pending":
      return `pending: ${plan.stages.length} stages, not started`;
    case "waiting": {
      const { reason } = phase;
      if (reason.code === "domain-busy" || reason.code === "claim-conflict") return reason.message;
      const at = where(state, plan, phase.cursor);
      if (reason.code === "ready") return `${at}: ${reason.message}`;
      return `${at}: waiting — ${reason.message} for ${formatDuration(nowMs - phase.sinceMs)}`;
    }
    case "applying": {
      const { nextAttemptAtMs } = readInternal(state.internal);
      const attempt = `attempt ${phase.intent.attempts}${retryText(nextAttemptAtMs, nowMs)}`;
      return `${where(state, plan, phase.cursor)}: applying ${phase.intent.action.type} (${attempt})`;
    }
    case "sealing": {
      const at = where(state, plan, phase.cursor);
      const failing = state.gateChecks.find((c) => !c.ok);
      if (failing === undefined) {
        return state.gateChecks.length === 0 ? `${at}: sealing — evaluating gates` : `${at}: sealing — all gates hold`;
      }
      return `${at}: waiting — ${failingText(failing)} for ${formatDuration(nowMs - failing.sinceMs)}`;
    }
    case "halted":
      return `halted: ${phase.reason.message}`;
    case "completed":
      return `completed: ${plan.stages.length}/${plan.stages.length} stages sealed`;
    case "rolled_back":
      return phase.stoppedAt === undefined ? "rolled back" : `rolled back, stopped at ${phase.stoppedAt}`;
    case "failed":
      return `failed: ${phase.error}`;
    case "abandoned":
      return `abandoned: ${phase.reason}`;
    default: {
      const unreachable: never = phase;
      return unreachable;
    }
  }
}
