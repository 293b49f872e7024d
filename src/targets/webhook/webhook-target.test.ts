import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedLocalPort, type LocalHttpServer, sendJson, startLocalHttpServer } from "../../util/local-http-server.ts";
import { describeTargetContract } from "../target.contract.ts";
import type { ActionRequest, ActionSpec, Target } from "../target.ts";
import { type WebhookTargetConfig, webhookTargetDefinition } from "./webhook-target.ts";

const TOKEN_VAR = "AIRLOCK_TEST_WEBHOOK_TOKEN";
const TOKEN = "s3cr3t-webhook-token";
const actions: ActionSpec[] = [
  { type: "run", params: { step: 1 } },
  { type: "run", params: { step: 2 } },
];

interface Receiver {
  readonly applied: string[];
  highestToken: number;
  readonly requests: { headers: IncomingMessage["headers"]; body: unknown; url: string }[];
}

/**
 * A deploy endpoint: `/t/<name>/apply` (idempotent by key, refuses stale
 * tokens with 409) and `/t/<name>/observe`; each name has its own state.
 * Action params steer failures: `status` answers with it, `hang` never answers.
 */
async function startReceiver(): Promise<{ server: LocalHttpServer; receivers: Map<string, Receiver> }> {
  const receivers = new Map<string, Receiver>();
  const server = await startLocalHttpServer((request, text, response) => {
    const url = new URL(request.url ?? "/", "http://x");
    const [, , name = "", verb] = url.pathname.split("/");
    const receiver = receivers.get(name) ?? { applied: [], highestToken: 0, requests: [] };
    receivers.set(name, receiver);
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return sendJson(response, 401, {});
    if (verb === "observe") return sendJson(response, 200, { applied: receiver.applied });
    const body = JSON.parse(text) as { idempotencyKey: string; fencingToken: number; action: ActionSpec };
    receiver.requests.push({ headers: request.headers, body, url: request.url ?? "" });
    if (body.fencingToken < receiver.highestToken) return sendJson(response, 409, { code: "fenced" });
    receiver.highestToken = body.fencingToken;
    const { status, hang } = body.action.params;
    if (hang === true) return;
    if (typeof status === "number") return sendJson(response, status, { error: "as asked" });
    if (!receiver.applied.includes(body.idempotencyKey)) receiver.applied.push(body.idempotencyKey);
    return sendJson(response, 200, {});
  });
  return { server, receivers };
}

let targets = 0;
function webhookTarget(origin: string, overrides: Partial<WebhookTargetConfig> = {}): Target {
  targets += 1;
  const config = webhookTargetDefinition.config.parse({
    url: `${origin}/t/${targets}/apply?token=${TOKEN}`,
    observeUrl: `${origin}/t/${targets}/observe`,
    headers: { Authorization: `Bearer \${${TOKEN_VAR}}` },
    ...overrides,
  });
  return webhookTargetDefinition.create(config, { planDir: "." });
}

describeTargetContract("webhook", async () => {
  process.env[TOKEN_VAR] = TOKEN;
  const { server } = await startReceiver();
  const port = await closedLocalPort();
  const failing = (name: string, retryable: boolean, code: string, params: Record<string, number | boolean>) => ({
    name,
    retryable,
    code,
    create: () => webhookTarget(server.origin, { timeoutMs: 100 }),
    action: { type: "run", params },
  });
  return {
    create: () => webhookTarget(server.origin),
    actions,
    planRollback: (applied) => webhookTargetDefinition.rollback(applied, { url: server.origin }),
    checksFencingTokens: true,
    observesApplies: true,
    failures: [
      failing("503", true, "http-503", { status: 503 }),
      failing("429", true, "http-429", { status: 429 }),
      failing("400", false, "http-400", { status: 400 }),
      failing("409 without a stale token", false, "http-409", { status: 409 }),
      failing("timeout", true, "timeout", { hang: true }),
      {
        name: "unreachable",
        retryable: true,
        code: "unreachable",
        create: () => webhookTarget(`http://127.0.0.1:${port}`),
      },
    ],
    secrets: [TOKEN],
    async cleanup() {
      await server.close();
      delete process.env[TOKEN_VAR];
    },
  };
});

describe("webhook target", () => {
  let server: LocalHttpServer;
  let receivers: Map<string, Receiver>;
  beforeAll(async () => {
    process.env[TOKEN_VAR] = TOKEN;
    ({ server, receivers } = await startReceiver());
  });
  afterAll(async () => {
    await server.close();
    delete process.env[TOKEN_VAR];
  });

  const request: ActionRequest = {
    operationId: "op-7",
    stageName: "half",
    stageIndex: 1,
    action: { type: "run", params: { percent: 50 } },
    idempotencyKey: "op-7/1/apply",
    fencingToken: 12,
    rollback: false,
    signal: new AbortController().signal,
  };

  it("posts the stage data with the idempotency key and fencing token headers", async () => {
    await webhookTarget(server.origin).apply(request);
    const received = receivers.get(String(targets))?.requests[0];
    expect(received?.body).toEqual({
      operationId: "op-7",
      stage: "half",
      stageIndex: 1,
      action: { type: "run", params: { percent: 50 } },
      idempotencyKey: "op-7/1/apply",
      fencingToken: 12,
      rollback: false,
    });
    expect(received?.headers).toMatchObject({
      "idempotency-key": "op-7/1/apply",
      "x-airlock-fencing-token": "12",
      "content-type": "application/json",
    });
  });

  it("fails without sending when a header references an unset variable", async () => {
    const target = webhookTarget(server.origin, { headers: { Authorization: `Bearer \${AIRLOCK_UNSET_VAR}` } });
    expect(await target.apply(request)).toMatchObject({ ok: false, code: "config", retryable: false });
    expect(receivers.get(String(targets))).toBeUndefined();
  });

  it("cannot tell whether an action landed without an observe URL", async () => {
    const target = webhookTarget(server.origin, { observeUrl: undefined });
    expect(await target.observe(request, new AbortController().signal)).toMatchObject({
      ok: true,
      value: { matches: "unknown" },
    });
  });

  it("claims the URL without its query unless the plan names claims", () => {
    expect(webhookTargetDefinition.claims({ url: `https://deploy.test/hook?token=${TOKEN}` })).toEqual([
      "webhook:https://deploy.test/hook",
    ]);
  });
});
