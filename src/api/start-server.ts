/**
 * `airlock serve` assembled: a {@link Controller} that runs every live
 * operation no other controller holds (from each operation's pinned plan),
 * the API and dashboard, `/metrics`, and the webhook notifier fed from the
 * controller's committed events (fire-and-forget). `stop` shuts down in
 * order: stop accepting and end streams, stop the controller (its runners
 * release their leases; a halted operation's freeze then expires after the
 * freeze TTL), flush notifications briefly.
 */

import { loadPlanSource } from "../cli/load-plan.ts";
import { buildRuntime, type Registries } from "../cli/wiring.ts";
import { realClock } from "../engine/clock.ts";
import { Controller, type OperationRuntime } from "../engine/controller.ts";
import type { OperationState } from "../engine/types.ts";
import { notificationOf, type OperationContext } from "../notify/notification.ts";
import type { NotifyFormat } from "../notify/payloads.ts";
import { WebhookNotifier } from "../notify/webhook-notifier.ts";
import type { OperationRecord, Store, StoredEvent } from "../store/store.ts";
import type { AccessPolicy } from "./access.ts";
import { instrumentedEngine } from "./instrumented-engine.ts";
import { PlanCache } from "./plan-cache.ts";
import type { PlanPolicy } from "./plan-policy.ts";
import { createApiServer } from "./server.ts";
import { Telemetry } from "./telemetry.ts";

/** Configuration of a server (flags and environment, already read). */
export interface ServerConfig {
  readonly store: Store;
  readonly registries: Registries;
  readonly access: AccessPolicy;
  readonly planPolicy: PlanPolicy;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** Unique id of this controller process. */
  readonly holder: string;
  /** How long a halted operation's freeze outlives its last renewal. */
  readonly freezeTtlMs: number;
  readonly leaseTtlMs?: number;
  /** How often the controller looks for operations to run. */
  readonly pollMs: number;
  readonly corsOrigin?: string;
  readonly notify?: { readonly url: string; readonly format: NotifyFormat };
  readonly heartbeatMs?: number;
  readonly accessLog?: boolean;
  readonly webRoot?: string;
  readonly log: (line: string) => void;
}

/** A running server. */
export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Shuts everything down (see the module comment). Idempotent. */
  stop(): Promise<void>;
}

/** Starts the controller and the API. Rejects when the port cannot be bound (nothing is left running then). */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const telemetry = new Telemetry();
  const plans = new PlanCache(config.registries);
  const contexts = new Map<string, OperationContext>();
  let controller: Controller | undefined;
  const api = createApiServer({
    store: config.store,
    registries: config.registries,
    access: config.access,
    planPolicy: config.planPolicy,
    live: {
      stateOf: (id) => controller?.stateOf(id),
      running: () => controller?.running ?? [],
    },
    telemetry,
    plans,
    log: config.log,
    ...(config.corsOrigin === undefined ? {} : { corsOrigin: config.corsOrigin }),
    ...(config.heartbeatMs === undefined ? {} : { heartbeatMs: config.heartbeatMs }),
    ...(config.accessLog === undefined ? {} : { accessLog: config.accessLog }),
    ...(config.webRoot === undefined ? {} : { webRoot: config.webRoot }),
  });
  const notifier =
    config.notify === undefined
      ? undefined
      : new WebhookNotifier({
          ...config.notify,
          log: config.log,
          onOutcome: (outcome) => api.metrics.observeNotification(outcome),
        });
  const onEvent = (event: StoredEvent, _state: OperationState): void => {
    try {
      api.hub.publish(event.operationId);
      const context = contexts.get(event.operationId);
      if (context === undefined) return;
      api.metrics.observeEvent(event, context.domain);
      const notification = notificationOf(event, context);
      if (notification !== undefined) notifier?.notify(notification);
    } catch (error) {
      config.log(`event observer failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  controller = new Controller({
    store: config.store,
    freezeTtlMs: config.freezeTtlMs,
    engine: instrumentedEngine({ telemetry, onTickSeconds: (s) => api.metrics.observeTick(s) }),
    clock: realClock,
    holder: config.holder,
    pollMs: config.pollMs,
    ...(config.leaseTtlMs === undefined ? {} : { leaseTtlMs: config.leaseTtlMs }),
    runtimeFor: (record) => runtimeFor(record, plans, config.registries, contexts),
    onEvent,
    onNotice: (operationId, message) => config.log(`operation ${operationId}: ${message}`),
  });
  const bound = await api.listen(config.port, config.host);
  controller.start();
  let stopping: Promise<void> | undefined;
  return {
    ...bound,
    stop() {
      stopping ??= (async () => {
        await api.close();
        await controller?.stop();
        await notifier?.close();
      })();
      return stopping;
    },
  };
}

/** Builds an operation's runtime from its pinned plan; an error string when it cannot. */
function runtimeFor(
  record: OperationRecord,
  plans: PlanCache,
  registries: Registries,
  contexts: Map<string, OperationContext>,
): OperationRuntime | string {
  const plan = plans.planOf(record);
  if (plan === undefined) {
    const loaded = loadPlanSource(record.planSource, record.planFile, registries);
    return `the pinned plan no longer validates: ${loaded.ok ? "" : loaded.lines.join("; ")}`;
  }
  contexts.set(record.id, { plan: plan.name, domain: plan.domain, stageCount: plan.stages.length });
  try {
    return { plan, ...buildRuntime(plan, record.planFile, registries) };
  } catch (error) {
    return `cannot build the plan's sensors and target: ${error instanceof Error ? error.message : String(error)}`;
  }
}
