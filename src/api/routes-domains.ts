/**
 * The freeze signal per domain. `GET` is what autoscalers and pipelines
 * poll ("do not add capacity now"): a freeze set by a halted operation
 * carries an expiry its live controller keeps renewing, so a dead controller
 * cannot freeze a domain forever; a manual freeze lasts until lifted (or its
 * `ttlMs`). The global kill switch is the domain `*`, and it freezes every
 * domain.
 */
import type { Freeze } from "../store/store.ts";
import type { ApiContext } from "./api-context.ts";
import { type ApiResult, parseJson, readBody, sendError, sendJson, validate } from "./http-io.ts";
import type { RequestContext, Route } from "./router.ts";
import { domainName, freezeBody } from "./schemas.ts";

/** The answer of `GET /api/v1/domains/:name/freeze`. */
export interface FreezeSignal {
  readonly domain: string;
  readonly frozen: boolean;
  readonly reason: string | null;
  readonly setBy: string | null;
  /** Store-clock expiry in ms since the epoch; `null` when not frozen or frozen until lifted. */
  readonly expiresAtMs: number | null;
  /** The store's clock when this was read. */
  readonly checkedAtMs: number;
  /** Every active freeze that applies (the domain's and `*`). */
  readonly freezes: readonly Freeze[];
}

/** Reads the freeze signal of `domain` (longest-lasting freeze first). */
export async function freezeSignal(ctx: ApiContext, domain: string): Promise<FreezeSignal> {
  const [freezes, checkedAtMs] = await Promise.all([ctx.store.activeFreezes([domain]), ctx.store.nowMs()]);
  const lasting = [...freezes].sort((a, b) => expiryRank(b) - expiryRank(a))[0];
  return {
    domain,
    frozen: lasting !== undefined,
    reason: lasting?.reason ?? null,
    setBy: lasting?.setBy ?? null,
    expiresAtMs: lasting?.expiresAtMs ?? null,
    checkedAtMs,
    freezes,
  };
}

function expiryRank(freeze: Freeze): number {
  return freeze.expiresAtMs ?? Number.POSITIVE_INFINITY;
}

function domainParam(rc: RequestContext): ApiResult<string> {
  return validate(rc.params.name, domainName, "name");
}

/** The freeze routes. */
export function domainRoutes(ctx: ApiContext): Route[] {
  const path = "/api/v1/domains/:name/freeze";
  return [
    {
      method: "GET",
      path,
      access: "read",
      summary: "The freeze signal for autoscalers and pipelines: {frozen, reason, setBy, expiresAtMs}.",
      doc: { ok: { status: 200, schema: "FreezeSignal" } },
      handler: async (rc) => {
        const domain = domainParam(rc);
        if (!domain.ok) return sendError(rc.res, domain.error);
        sendJson(rc.res, 200, await freezeSignal(ctx, domain.value));
      },
    },
    {
      method: "POST",
      path,
      access: "admin",
      summary: "Freeze a domain (`*`: every domain); operations there halt. Until lifted, or for ttlMs.",
      doc: { body: freezeBody, ok: { status: 200, schema: "FreezeSignal" } },
      handler: async (rc) => {
        const domain = domainParam(rc);
        if (!domain.ok) return sendError(rc.res, domain.error);
        const text = await readBody(rc.req, ctx.bodyLimitBytes);
        if (!text.ok) return sendError(rc.res, text.error);
        const body = parseJson(text.value, freezeBody);
        if (!body.ok) return sendError(rc.res, body.error);
        const nowMs = await ctx.store.nowMs();
        await ctx.store.setFreeze({
          domain: domain.value,
          reason: body.value.reason,
          setBy: `manual:${rc.caller.name}`,
          setAtMs: nowMs,
          expiresAtMs: body.value.ttlMs === undefined ? null : nowMs + body.value.ttlMs,
        });
        ctx.log(`domain ${domain.value} frozen by ${rc.caller.name}`);
        sendJson(rc.res, 200, await freezeSignal(ctx, domain.value));
      },
    },
    {
      method: "DELETE",
      path,
      access: "admin",
      summary: "Lift the freezes on a domain (a halted operation's freeze returns while it stays halted).",
      doc: { ok: { status: 200, schema: "FreezeSignal" } },
      handler: async (rc) => {
        const domain = domainParam(rc);
        if (!domain.ok) return sendError(rc.res, domain.error);
        await ctx.store.clearFreeze(domain.value);
        ctx.log(`domain ${domain.value} unfrozen by ${rc.caller.name}`);
        sendJson(rc.res, 200, await freezeSignal(ctx, domain.value));
      },
    },
  ];
}
