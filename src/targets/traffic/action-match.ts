/**
 * Whether an action's effect is in place on the router: used to verify an
 * apply (read back) and by `observe` to recover a crash between apply and
 * the applied event without re-applying blindly. Pure.
 */
import type { ServerStat } from "./router-driver.ts";
import { restoreSelection, type ServerPatterns, selectServers } from "./server-sets.ts";
import type { TrafficAction } from "./traffic-config.ts";
import { computeWeights } from "./weight-split.ts";

/** What this target instance remembers about one apply (by idempotency key). */
export interface ApplyMemo {
  /** The servers the action resolved to. */
  readonly servers: readonly string[];
  /** Every hook of the action ran to success. */
  readonly hooksDone: boolean;
}

/** Everything {@link actionInPlace} compares against. */
export interface MatchContext {
  readonly patterns: ServerPatterns;
  readonly fullWeight: number;
  /** Whether a terminate hook is configured (`retire` without one is done once the servers are in `maint`). */
  readonly terminateHook: boolean;
  /** This instance's memo of the apply, when it made it. */
  readonly memo?: ApplyMemo;
}

/** `true` in place, `false` not, `"unknown"` when the router cannot show it (a hook's effect). */
export type InPlace = boolean | "unknown";

function weightsInPlace(candidatePercent: number, servers: readonly ServerStat[], ctx: MatchContext): boolean {
  const wanted = computeWeights(candidatePercent, servers, ctx.patterns, ctx.fullWeight);
  if (!wanted.ok) return false;
  const byName = new Map(servers.map((server) => [server.name, server]));
  for (const [name, weight] of wanted.value) if (byName.get(name)?.weight !== weight) return false;
  return true;
}

function allIn(names: readonly string[], servers: readonly ServerStat[], state: ServerStat["adminState"]): boolean {
  const byName = new Map(servers.map((server) => [server.name, server]));
  return names.every((name) => byName.get(name)?.adminState === state);
}

/** With hooks involved: done when the memo says so, `"unknown"` when only the router state is known. */
function hooksKnown(hookConfigured: boolean, ctx: MatchContext): InPlace {
  if (!hookConfigured || ctx.memo?.hooksDone === true) return true;
  return "unknown";
}

/** The servers an action acts on: the memo's, else resolved from the router's state. */
function actedOn(
  action: TrafficAction,
  servers: readonly ServerStat[],
  ctx: MatchContext,
): readonly string[] | undefined {
  if (ctx.memo !== undefined) return ctx.memo.servers;
  switch (action.type) {
    case "weight":
      return [];
    case "provision":
      return action.servers;
    case "restore-legacy": {
      const selection = restoreSelection(action.servers, servers, ctx.patterns);
      return selection.ok ? selection.value : undefined;
    }
    default: {
      const selection = selectServers(action, servers, ctx.patterns);
      return selection.ok ? selection.value : undefined;
    }
  }
}

/** Whether `action` is in place on `servers`. */
export function actionInPlace(action: TrafficAction, servers: readonly ServerStat[], ctx: MatchContext): InPlace {
  const names = actedOn(action, servers, ctx);
  if (names === undefined) return false;
  switch (action.type) {
    case "weight":
      return weightsInPlace(action.candidatePercent, servers, ctx);
    case "restore-legacy":
      return allIn(names, servers, "ready") && weightsInPlace(action.candidatePercent, servers, ctx);
    case "drain":
      return allIn(names, servers, "drain");
    case "quiesce":
      return allIn(names, servers, "drain") && hooksKnown(true, ctx);
    case "retire":
      return allIn(names, servers, "maint") && hooksKnown(ctx.terminateHook, ctx);
    case "provision":
      // The hook runs before `ready` is set, so `ready` shows both.
      return allIn(names, servers, "ready");
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}
