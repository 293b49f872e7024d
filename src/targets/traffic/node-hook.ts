/**
 * Per-node hooks (`quiesce`, `terminate`, `provision`): a command or a
 * webhook, run once per node with the node's name and address, the fencing
 * token and a per-node idempotency key.
 *
 * Command: argv (no shell), environment `AIRLOCK_HOOK`, `AIRLOCK_NODE`,
 * `AIRLOCK_NODE_ADDRESS`, `AIRLOCK_FENCING_TOKEN`, `AIRLOCK_IDEMPOTENCY_KEY`,
 * `AIRLOCK_OPERATION_ID`, `AIRLOCK_STAGE`. Exit 0 done, 75 retryable, 77
 * stale fencing token, anything else a failure that is not retried.
 *
 * Webhook: POST of `{ hook, node, address, operationId, stage,
 * idempotencyKey, fencingToken }` with headers `Idempotency-Key` and
 * `X-Airlock-Fencing-Token`. 2xx done; 409 naming a stale token `fenced`;
 * 408, 425, 429, 5xx and transport failures retryable; others not.
 */
import { expandEnvRefs } from "../../util/expand-env-refs.ts";
import { httpRequest } from "../../util/http-request.ts";
import { describeUrl, secretEnvValues } from "../../util/redact.ts";
import { exitMessage, runCommand } from "../../util/run-command.ts";
import { EXIT_FENCED, EXIT_RETRYABLE } from "../command/command-target.ts";
import type { ActionRequest, TargetResult } from "../target.ts";
import { classifyWebhookResponse } from "../webhook-response.ts";
import { fillNodeUrl, type Hook, type HookName } from "./traffic-config.ts";

/** A node as hooks and drain reports see it. */
export interface NodeRef {
  readonly name: string;
  /** `host:port`. */
  readonly address: string;
}

/** One hook run. */
export interface NodeHookRun {
  readonly hookName: HookName;
  readonly hook: Hook;
  readonly node: NodeRef;
  readonly request: Omit<ActionRequest, "signal">;
  /** Working directory of command hooks (the plan's directory). */
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The key a hook receives: the action's key, the hook and the node, so a receiver can deduplicate per node. */
export function nodeIdempotencyKey(actionKey: string, hookName: HookName, node: string): string {
  return `${actionKey}:${hookName}:${node}`;
}

/**
 * Runs the hook for one node. Not idempotent by itself: the hook must be,
 * under its key (every retry of the action sends the same key). Never
 * throws; messages never carry header values, tokens or URL queries.
 */
export async function runNodeHook(run: NodeHookRun): Promise<TargetResult<void>> {
  const key = nodeIdempotencyKey(run.request.idempotencyKey, run.hookName, run.node.name);
  const env = run.env ?? process.env;
  const what = `${run.hookName} hook for ${run.node.name}`;
  if ("command" in run.hook) {
    const childEnv = {
      ...env,
      AIRLOCK_HOOK: run.hookName,
      AIRLOCK_NODE: run.node.name,
      AIRLOCK_NODE_ADDRESS: run.node.address,
      AIRLOCK_FENCING_TOKEN: String(run.request.fencingToken),
      AIRLOCK_IDEMPOTENCY_KEY: key,
      AIRLOCK_OPERATION_ID: run.request.operationId,
      AIRLOCK_STAGE: run.request.stageName,
    };
    const result = await runCommand({
      argv: run.hook.command,
      cwd: run.cwd,
      env: childEnv,
      timeoutMs: run.timeoutMs,
      signal: run.signal,
    });
    if (!result.ok) return fail(result.code, `${what}: ${result.message}`, result.code !== "spawn");
    if (result.exitCode === 0) return { ok: true, value: undefined };
    const message = exitMessage(what, result, secretEnvValues(childEnv));
    if (result.exitCode === EXIT_RETRYABLE) return fail("tempfail", message, true);
    if (result.exitCode === EXIT_FENCED) return fail("fenced", message, false);
    return fail(result.exitCode === null ? "signal" : `exit-${result.exitCode}`, message, false);
  }
  const headers = expandEnvRefs(run.hook.headers, env);
  if (!headers.ok) return fail("config", `${what}: header ${headers.message}`, false);
  const url = fillNodeUrl(run.hook.webhook, run.node);
  const response = await httpRequest({
    method: "POST",
    url,
    headers: {
      ...headers.value,
      "content-type": "application/json",
      "idempotency-key": key,
      "x-airlock-fencing-token": String(run.request.fencingToken),
    },
    body: JSON.stringify({
      hook: run.hookName,
      node: run.node.name,
      address: run.node.address,
      operationId: run.request.operationId,
      stage: run.request.stageName,
      idempotencyKey: key,
      fencingToken: run.request.fencingToken,
    }),
    timeoutMs: run.timeoutMs,
    signal: run.signal,
    secrets: [...headers.secrets, ...Object.values(headers.value)],
  });
  if (!response.ok) return fail(response.code, `${what}: ${response.message}`, true);
  const classified = classifyWebhookResponse(`${what}: POST ${describeUrl(url)}`, response);
  return classified.ok ? { ok: true, value: undefined } : classified;
}

function fail(code: string, message: string, retryable: boolean): TargetResult<never> {
  return { ok: false, code, message, retryable };
}
