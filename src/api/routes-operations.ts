/**
 * Operation routes: list, submit a plan, get one, its events (paginated)
 * and its telemetry. Submitting needs the admin token; a plan that does not
 * validate is a 400 with every error positioned; a plan the server's policy
 * refuses (command kinds, URLs outside the allowlist) is a 403 with every
 * finding positioned.
 */
import { randomUUID } from "node:crypto";
import { engine } from "../engine/engine.ts";
import { toJson } from "../engine/runner.ts";
import { parsePlan } from "../plan/parse.ts";
import type { OperationRecord } from "../store/store.ts";
import { type ApiContext, detailOf, summaryOf } from "./api-context.ts";
import { type ApiResult, fail, readBody, sendError, sendJson, validate } from "./http-io.ts";
import { checkSubmittedPlan } from "./plan-policy.ts";
import type { RequestContext, Route } from "./router.ts";
import { eventsQuery, listQuery, queryObject } from "./schemas.ts";
import { telemetryView } from "./telemetry-view.ts";

/** The file name submitted plans are reported and pinned under. */
export const SUBMITTED_PLAN_FILE = "submitted-plan.yaml";

/** Loads the operation named by the `:id` param, or a 404. */
export async function operationParam(ctx: ApiContext, rc: RequestContext): Promise<ApiResult<OperationRecord>> {
  const id = rc.params.id ?? "";
  const record = await ctx.store.getOperation(id);
  if (record === undefined) return fail(404, "operation-not-found", `no operation ${id}`, { field: "id" });
  return { ok: true, value: record };
}

/** The operation routes. */
export function operationRoutes(ctx: ApiContext): Route[] {
  return [
    {
      method: "GET",
      path: "/api/v1/operations",
      access: "read",
      summary: "List operations, newest first (filters: status, domain, plan, live, limit).",
      doc: { query: listQuery, ok: { status: 200, schema: "OperationList" } },
      handler: async (rc) => {
        const query = validate(queryObject(rc.query), listQuery, "query.");
        if (!query.ok) return sendError(rc.res, query.error);
        const { status, domain, plan, live, limit } = query.value;
        const records = await ctx.store.listOperations({
          limit,
          ...(status === undefined ? {} : { status }),
          ...(domain === undefined ? {} : { domain }),
          ...(plan === undefined ? {} : { planName: plan }),
          ...(live === undefined ? {} : { live: live === "true" }),
        });
        const nowMs = await ctx.store.nowMs();
        const operations = records.map((record) => summaryOf(ctx, record, nowMs));
        sendJson(rc.res, 200, { operations, freezes: await ctx.store.activeFreezes() });
      },
    },
    {
      method: "POST",
      path: "/api/v1/operations",
      access: "admin",
      summary: "Submit a plan (YAML or JSON body): 201 with the new operation, 200 when attaching to the live one.",
      doc: { body: "plan", ok: { status: 201, schema: "Submitted" } },
      handler: (rc) => submit(ctx, rc),
    },
    {
      method: "GET",
      path: "/api/v1/operations/:id",
      access: "read",
      summary: "One operation: state, stages as airlock doors, gate checks, the explanation and any halt evidence.",
      doc: { ok: { status: 200, schema: "OperationDetail" } },
      handler: async (rc) => {
        const record = await operationParam(ctx, rc);
        if (!record.ok) return sendError(rc.res, record.error);
        sendJson(rc.res, 200, await detailOf(ctx, record.value));
      },
    },
    {
      method: "GET",
      path: "/api/v1/operations/:id/events",
      access: "read",
      summary: "The operation's events after `after` (a sequence number), at most `limit`.",
      doc: { query: eventsQuery, ok: { status: 200, schema: "EventPage" } },
      handler: async (rc) => {
        const record = await operationParam(ctx, rc);
        if (!record.ok) return sendError(rc.res, record.error);
        const query = validate(queryObject(rc.query), eventsQuery, "query.");
        if (!query.ok) return sendError(rc.res, query.error);
        const { after, limit } = query.value;
        const events = await ctx.store.listEvents(record.value.id, after, limit + 1);
        const page = events.slice(0, limit);
        sendJson(rc.res, 200, {
          events: page,
          nextAfter: page.at(-1)?.seq ?? after,
          hasMore: events.length > limit,
        });
      },
    },
    {
      method: "GET",
      path: "/api/v1/operations/:id/telemetry",
      access: "read",
      summary: "Recent gate sensor values, per-node error rates and detector scores (operations run by this server).",
      doc: { ok: { status: 200, schema: "Telemetry" } },
      handler: async (rc) => {
        const record = await operationParam(ctx, rc);
        if (!record.ok) return sendError(rc.res, record.error);
        const plan = ctx.plans.planOf(record.value);
        if (plan === undefined)
          return sendError(rc.res, fail(409, "plan-invalid", "the pinned plan no longer loads").error);
        const id = record.value.id;
        sendJson(rc.res, 200, telemetryView(plan, ctx.telemetry.ticks(id), ctx.telemetry.latestScores(id)));
      },
    },
  ];
}

async function submit(ctx: ApiContext, rc: RequestContext): Promise<void> {
  const body = await readBody(rc.req, ctx.bodyLimitBytes);
  if (!body.ok) return sendError(rc.res, body.error);
  if (body.value.trim() === "") {
    return sendError(
      rc.res,
      fail(400, "invalid-plan", "the body must be a plan (YAML or JSON)", { field: "body" }).error,
    );
  }
  const parsed = parsePlan(body.value, SUBMITTED_PLAN_FILE, ctx.registries);
  if (!parsed.ok) {
    return sendError(
      rc.res,
      fail(400, "invalid-plan", `the plan has ${parsed.errors.length} error(s)`, {
        field: "body",
        extra: { errors: parsed.errors.map(positioned) },
      }).error,
    );
  }
  const refused = checkSubmittedPlan(body.value, SUBMITTED_PLAN_FILE, ctx.planPolicy);
  if (refused.length > 0) {
    const first = refused[0];
    return sendError(
      rc.res,
      fail(403, "plan-not-allowed", `not allowed over the API: ${first?.path}: ${first?.message}`, {
        field: first?.path ?? "body",
        extra: { errors: refused.map(positioned) },
      }).error,
    );
  }
  const plan = parsed.plan;
  ctx.plans.remember({ planHash: parsed.hash, planFile: SUBMITTED_PLAN_FILE }, plan);
  const id = `${plan.name}-${Date.now().toString(36)}-${randomUUID().slice(0, 4)}`;
  const created = await ctx.store.createOperation({
    id,
    planName: plan.name,
    domain: plan.domain,
    planHash: parsed.hash,
    planSource: body.value,
    planFile: SUBMITTED_PLAN_FILE,
    state: toJson(engine.initialState(id, plan)),
  });
  if (!created.ok) {
    const status = created.code === "conflict" ? 409 : 500;
    return sendError(rc.res, fail(status, created.code, created.message).error);
  }
  const { operation } = created.value;
  ctx.log(
    `${created.value.created ? "created" : "attached to"} operation ${operation.id} (plan ${plan.name}) for ${rc.caller.name}`,
  );
  sendJson(rc.res, created.value.created ? 201 : 200, {
    created: created.value.created,
    operation: await detailOf(ctx, operation),
  });
}

function positioned(error: { line: number; column: number; path: string; message: string }) {
  return { line: error.line, column: error.column, path: error.path, message: error.message };
}
