/**
 * The `webhook` target: POSTs one JSON document per action.
 *
 * ```yaml
 * target:
 *   kind: webhook
 *   url: https://deploy.internal/airlock/apply
 *   headers: { Authorization: "Bearer ${DEPLOY_TOKEN}" }   # from the controller's environment
 *   observeUrl: https://deploy.internal/airlock/state     # optional, GET, observe protocol
 * ```
 *
 * Body: `{ operationId, stage, stageIndex, action, idempotencyKey,
 * fencingToken, rollback }`; headers `Idempotency-Key` and
 * `X-Airlock-Fencing-Token`. The receiver must be idempotent under the key.
 * Answers: 2xx applied; 409 whose body says the token is stale (JSON
 * `{"code":"fenced"}`, or any text containing "stale") is `fenced`, not
 * retried; 408, 425, 429, 5xx, timeouts and connection failures are
 * retryable; any other status is a failure that is not retried.
 */
import { z } from "zod";
import { expandEnvRefs } from "../../util/expand-env-refs.ts";
import { httpRequest } from "../../util/http-request.ts";
import { describeUrl } from "../../util/redact.ts";
import { observationFromText } from "../observe-protocol.ts";
import { reverseReplayRollback, runActions, simpleGatesSchema } from "../run-action.ts";
import type { ActionRequest, Observation, Target, TargetDefinition, TargetResult } from "../target.ts";
import { classifyWebhookResponse } from "../webhook-response.ts";

const DEFAULT_TIMEOUT_MS = 10_000;

const httpUrl = z.url({ protocol: /^https?$/ });

const webhookTargetConfig = z
  .object({
    url: httpUrl.describe("Receiver of one POST per action."),
    headers: z
      .record(z.string(), z.string())
      .optional()
      .describe(`Header values may reference \`\${ENV_NAME}\`, resolved per request.`),
    timeoutMs: z.number().int().positive().optional().describe("Per request. Default 10 000."),
    /** GET endpoint answering the observe protocol; without it, `matches` is always `"unknown"`. */
    observeUrl: httpUrl.optional(),
    claims: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("Objects claimed for the operation's life; default `webhook:<url without query>`."),
    rollbackGates: simpleGatesSchema.optional().describe("Gates for every rollback step; default none."),
  })
  .strict();

/** Validated `webhook` target config. */
export type WebhookTargetConfig = z.infer<typeof webhookTargetConfig>;

/**
 * The `webhook` target kind. `apply` POSTs every time it is called (the
 * receiver provides idempotency by key); `observe` only GETs. Failures are
 * values; messages never carry header values or the URL's query.
 */
export const webhookTargetDefinition: TargetDefinition<WebhookTargetConfig> = {
  kind: "webhook",
  description: "POST JSON per action with an Idempotency-Key and the fencing token; optional observe URL",
  config: webhookTargetConfig,
  actions: runActions,
  sensorNames: () => [],
  claims: (config) => config.claims ?? [`webhook:${describeUrl(config.url)}`],
  defaultGates: () => ({}),
  rollback: (applied, config) => reverseReplayRollback(applied, config.rollbackGates),
  create(config) {
    const closed = new AbortController();

    async function send(
      method: "GET" | "POST",
      url: string,
      extraHeaders: Record<string, string>,
      signal: AbortSignal,
      body?: string,
    ): Promise<TargetResult<string>> {
      const headers = expandEnvRefs(config.headers, process.env);
      if (!headers.ok) return { ok: false, code: "config", message: `header ${headers.message}`, retryable: false };
      const response = await httpRequest({
        method,
        url,
        headers: { ...headers.value, ...extraHeaders },
        timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        signal: AbortSignal.any([signal, closed.signal]),
        secrets: [...headers.secrets, ...Object.values(headers.value)],
        ...(body === undefined ? {} : { body }),
      });
      return classifyWebhookResponse(`${method} ${describeUrl(url)}`, response);
    }

    const target: Target = {
      async apply(request) {
        const result = await send(
          "POST",
          config.url,
          {
            "content-type": "application/json",
            "idempotency-key": request.idempotencyKey,
            "x-airlock-fencing-token": String(request.fencingToken),
          },
          request.signal,
          JSON.stringify(requestBody(request)),
        );
        return result.ok ? { ok: true, value: undefined } : result;
      },
      async observe(expected, signal): Promise<TargetResult<Observation>> {
        if (config.observeUrl === undefined)
          return { ok: true, value: { observedAtMs: Date.now(), state: null, matches: "unknown" } };
        const result = await send(
          "GET",
          observeUrlFor(config.observeUrl, expected),
          { accept: "application/json" },
          signal,
        );
        return result.ok ? observationFromText(result.value, expected?.idempotencyKey, Date.now()) : result;
      },
      sensors: () => ({}),
      async close() {
        closed.abort();
      },
    };
    return target;
  },
};

function requestBody(request: ActionRequest) {
  return {
    operationId: request.operationId,
    stage: request.stageName,
    stageIndex: request.stageIndex,
    action: request.action,
    idempotencyKey: request.idempotencyKey,
    fencingToken: request.fencingToken,
    rollback: request.rollback,
  };
}

/** The observe URL with the expected request as query parameters (kept alongside any the URL has). */
function observeUrlFor(observeUrl: string, expected: ActionRequest | undefined): string {
  if (expected === undefined) return observeUrl;
  const url = new URL(observeUrl);
  url.searchParams.set("operationId", expected.operationId);
  url.searchParams.set("stageIndex", String(expected.stageIndex));
  url.searchParams.set("idempotencyKey", expected.idempotencyKey);
  url.searchParams.set("rollback", String(expected.rollback));
  return url.toString();
}
