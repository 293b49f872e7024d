/**
 * Response schemas of the OpenAPI document, written against the shapes in
 * `operation-view.ts`, `telemetry-view.ts`, `routes-domains.ts` and the
 * store's records. They document; the handlers' types are the source.
 */
import type { JsonSchema } from "../plan/json-schema.ts";

const string = { type: "string" } as const;
const number = { type: "number" } as const;
const integer = { type: "integer" } as const;
const ms = { type: "integer", description: "ms since the epoch" } as const;
const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: "null" }] });
const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const object = (properties: Record<string, JsonSchema>, required: readonly string[] = []): JsonSchema => ({
  type: "object",
  properties,
  ...(required.length === 0 ? {} : { required }),
});
const array = (items: JsonSchema): JsonSchema => ({ type: "array", items });
const columns = { type: "array", items: { anyOf: [number, { type: "null" }] } } as const;

/** Component schemas by name. */
export function openApiComponents(): Record<string, JsonSchema> {
  const phases = [
    "pending",
    "waiting",
    "applying",
    "sealing",
    "halted",
    "completed",
    "rolled_back",
    "failed",
    "abandoned",
  ];
  const stage = object(
    {
      index: integer,
      name: string,
      action: object({ type: string, params: { type: "object" } }),
      door: { enum: ["pending", "queued", "open", "sealing", "sealed", "halted"] },
      startedAtMs: ms,
      appliedAtMs: ms,
      sealedAtMs: ms,
      gates: array(object({ gate: string, label: string, sensor: string })),
    },
    ["index", "name", "door"],
  );
  const summary = object(
    {
      id: string,
      plan: string,
      domain: string,
      status: { enum: ["pending", "running", "halted", "completed", "rolled_back", "failed", "abandoned"] },
      phase: { enum: phases },
      createdAtMs: ms,
      updatedAtMs: ms,
      cursor: object({ track: { enum: ["forward", "rollback"] }, index: integer, name: string, total: integer }),
      explanation: string,
    },
    ["id", "plan", "domain", "status", "phase", "explanation"],
  );
  const freeze = object({ domain: string, reason: string, setBy: string, setAtMs: ms, expiresAtMs: nullable(ms) });
  return {
    Error: object(
      {
        error: object({ code: string, message: string, field: string }, ["code", "message"]),
        errors: array(object({ line: integer, column: integer, path: string, message: string })),
      },
      ["error"],
    ),
    OperationSummary: summary,
    OperationDetail: {
      allOf: [
        ref("OperationSummary"),
        object({
          planHash: string,
          onHalt: nullable({ enum: ["pause", "rollback"] }),
          intervalMs: nullable(integer),
          consumers: array(string),
          phaseDetail: { type: "object", description: "The engine's phase, e.g. a halt's reason with evidence." },
          gateChecks: array(
            object({
              gate: string,
              label: string,
              ok: { type: "boolean" },
              observed: string,
              expected: string,
              sinceMs: ms,
            }),
          ),
          stages: array(stage),
          rollback: object({ steps: array(stage) }),
          halt: object({ code: string, message: string, evidence: {}, sinceMs: ms }),
          runHere: { type: "boolean" },
        }),
      ],
    },
    OperationList: object({ operations: array(ref("OperationSummary")), freezes: array(ref("Freeze")) }),
    Submitted: object({ created: { type: "boolean" }, operation: ref("OperationDetail") }),
    Event: object({ operationId: string, seq: integer, type: string, atMs: ms, data: {} }),
    EventPage: object({ events: array(ref("Event")), nextAfter: integer, hasMore: { type: "boolean" } }),
    Telemetry: object({
      gateSensors: object({
        timesMs: array(ms),
        series: array(object({ sensor: string, label: string, values: columns })),
      }),
      errorRates: array(
        object({
          guard: string,
          timesMs: array(ms),
          nodes: array(object({ node: string, cohort: nullable(string), values: columns })),
        }),
      ),
      scores: nullable(object({ atMs: ms, values: { type: "object", additionalProperties: number } })),
    }),
    Queued: object({
      queued: object({
        id: integer,
        operationId: string,
        type: string,
        actor: string,
        reason: string,
        data: {},
        createdAtMs: ms,
      }),
    }),
    Freeze: freeze,
    FreezeSignal: object(
      {
        domain: string,
        frozen: { type: "boolean" },
        reason: nullable(string),
        setBy: nullable(string),
        expiresAtMs: nullable(ms),
        checkedAtMs: ms,
        freezes: array(ref("Freeze")),
      },
      ["domain", "frozen", "reason", "setBy", "expiresAtMs"],
    ),
    Health: object({ ok: { type: "boolean" }, store: string }),
  };
}
