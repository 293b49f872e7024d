/**
 * Manual commands over the API: `halt`, `resume`, `rollback`, `abandon`,
 * `advance` (admin token) and `ack` (admin, or the consumer's own ack
 * token). Each is queued in the store for the operation's runner, with the
 * token holder's name as actor; the runner records it in the event log (or
 * records `CommandRejected` when it does not apply). 202: queued.
 */
import type { z } from "zod";
import type { OperationRecord, StoredCommand } from "../store/store.ts";
import type { Json } from "../targets/target.ts";
import type { Caller } from "./access.ts";
import { type ApiContext, stateOf } from "./api-context.ts";
import { type ApiResult, fail, parseJson, readBody, sendError, sendJson } from "./http-io.ts";
import { consumersOf, currentStageName } from "./operation-view.ts";
import type { RequestContext, Route } from "./router.ts";
import { operationParam } from "./routes-operations.ts";
import { ackBody, advanceBody, reasonBody, resumeBody } from "./schemas.ts";

const ENDED = new Set(["completed", "rolled_back", "failed", "abandoned"]);

interface CommandSpec<T> {
  readonly name: "halt" | "resume" | "rollback" | "abandon" | "advance";
  readonly summary: string;
  readonly body: z.ZodType<T>;
}

const COMMANDS: readonly CommandSpec<{ reason?: string | undefined }>[] = [
  { name: "halt", summary: "Halt now: no further action until resumed or rolled back.", body: reasonBody },
  { name: "resume", summary: "Resume a halted operation where it stopped (never skips a gate).", body: resumeBody },
  { name: "rollback", summary: "Roll the operation back, airlocked.", body: reasonBody },
  {
    name: "abandon",
    summary: "End the operation without finishing or rolling back; releases its claims.",
    body: reasonBody,
  },
  {
    name: "advance",
    summary: "Force the current stage sealed regardless of its gates (force: true).",
    body: advanceBody,
  },
];

/** The command routes, plus `ack`. */
export function commandRoutes(ctx: ApiContext): Route[] {
  const simple = COMMANDS.map(
    (spec): Route => ({
      method: "POST",
      path: `/api/v1/operations/:id/${spec.name}`,
      access: "admin",
      summary: spec.summary,
      doc: { body: spec.body, ok: { status: 202, schema: "Queued" } },
      handler: async (rc) => {
        const input = await commandInput(ctx, rc, spec.body);
        if (!input.ok) return sendError(rc.res, input.error);
        const { record, body } = input.value;
        await queue(ctx, rc, record.id, spec.name, body.reason ?? "", {});
      },
    }),
  );
  const ack: Route = {
    method: "POST",
    path: "/api/v1/operations/:id/ack",
    access: "ack",
    summary: "Acknowledge a stage as a consumer or approver (an ack token only for its own consumer).",
    doc: { body: ackBody, ok: { status: 202, schema: "Queued" } },
    handler: async (rc) => {
      const input = await commandInput(ctx, rc, ackBody);
      if (!input.ok) return sendError(rc.res, input.error);
      const { record, body } = input.value;
      const allowed = mayAckFor(rc.caller, body.consumer);
      if (!allowed.ok) return sendError(rc.res, allowed.error);
      const plan = ctx.plans.planOf(record);
      if (plan === undefined)
        return sendError(rc.res, fail(409, "plan-invalid", "the pinned plan no longer loads").error);
      if (!consumersOf(plan).includes(body.consumer)) {
        const error = fail(400, "unknown-consumer", `${body.consumer} is not a consumer or approver of this plan`, {
          field: "consumer",
        });
        return sendError(rc.res, error.error);
      }
      const stage = body.stage ?? currentStageName(stateOf(ctx, record), plan);
      if (stage === undefined) {
        const error = fail(409, "no-current-stage", "the operation has no current stage; name one in stage", {
          field: "stage",
        });
        return sendError(rc.res, error.error);
      }
      await ctx.store.recordAck({
        operationId: record.id,
        stage,
        consumer: body.consumer,
        actor: rc.caller.name,
        atMs: await ctx.store.nowMs(),
      });
      await queue(ctx, rc, record.id, "ack", body.reason ?? "", { consumer: body.consumer, stage });
    },
  };
  return [...simple, ack];
}

async function commandInput<T>(
  ctx: ApiContext,
  rc: RequestContext,
  schema: z.ZodType<T>,
): Promise<ApiResult<{ record: OperationRecord; body: T }>> {
  const type = rc.req.headers["content-type"];
  if (type !== undefined && !/^application\/json\b/i.test(type)) {
    return fail(415, "unsupported-media-type", "send the body as application/json", { field: "content-type" });
  }
  const text = await readBody(rc.req, ctx.bodyLimitBytes);
  if (!text.ok) return text;
  const body = parseJson(text.value, schema);
  if (!body.ok) return body;
  const record = await operationParam(ctx, rc);
  if (!record.ok) return record;
  if (ENDED.has(record.value.status)) {
    return fail(409, "operation-ended", `operation ${record.value.id} is already ${record.value.status}`);
  }
  return { ok: true, value: { record: record.value, body: body.value } };
}

function mayAckFor(caller: Caller, consumer: string): ApiResult<void> {
  if (caller.role === "admin") return { ok: true, value: undefined };
  if (caller.role === "ack" && caller.consumer === consumer) return { ok: true, value: undefined };
  return fail(403, "forbidden", `this token may not acknowledge for ${consumer}`, { field: "consumer" });
}

async function queue(
  ctx: ApiContext,
  rc: RequestContext,
  operationId: string,
  type: string,
  reason: string,
  data: Json,
): Promise<void> {
  const queued = await ctx.store.enqueueCommand({ operationId, type, actor: rc.caller.name, reason, data });
  if (!queued.ok) return sendError(rc.res, fail(409, queued.code, queued.message).error);
  ctx.log(`${type} queued for ${operationId} by ${rc.caller.name}`);
  sendJson(rc.res, 202, { queued: commandView(queued.value) });
}

function commandView(command: StoredCommand) {
  const { id, operationId, type, actor, reason, data, createdAtMs } = command;
  return { id, operationId, type, actor, reason, data, createdAtMs };
}
