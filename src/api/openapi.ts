/**
 * The OpenAPI 3.1 document at `/api/v1/openapi.json`, generated from the
 * route table (paths, methods, access, summaries) and the same zod schemas
 * the handlers validate with, so it cannot drift from the code. The plan
 * schema is embedded from `plan/json-schema.ts`.
 */
import { z } from "zod";
import type { JsonSchema } from "../plan/json-schema.ts";
import { openApiComponents } from "./openapi-components.ts";
import type { Route } from "./router.ts";

const ERRORS: Readonly<Record<string, string>> = {
  "400":
    "Bad request: bad JSON, wrong types, a token in the query string, or an invalid plan (every error in `errors`).",
  "401": "No token, or an unknown one.",
  "403": "The token may not do this (or the plan is not allowed over the API; every finding in `errors`).",
  "404": "No such operation.",
  "405": "Method not allowed on this path (see `Allow`).",
  "409": "Conflict: the operation has ended, or a live operation with this name runs another plan.",
  "413": "Request body too large.",
  "415": "Body is not application/json.",
};

/** Builds the document. `planSchema` is the plan's JSON Schema (draft-07 with `definitions`). */
export function openApiDocument(routes: readonly Route[], planSchema: JsonSchema, version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, "{$1}");
    paths[path] ??= {};
    const item = paths[path];
    if (item !== undefined) item[route.method.toLowerCase()] = operationOf(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Airlock API",
      version,
      description:
        "Runs risky operational changes as stages behind gates. Send tokens only as `Authorization: Bearer <token>`; tokens in query strings are refused.",
    },
    servers: [{ url: "/" }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { ...openApiComponents(), Plan: rebase(planSchema, "#/components/schemas/Plan") },
    },
  };
}

function operationOf(route: Route): Record<string, unknown> {
  const { doc } = route;
  const parameters: unknown[] = [...pathParameters(route.path), ...queryParameters(doc.query)];
  if (route.path.endsWith("/stream")) {
    parameters.push({ name: "Last-Event-ID", in: "header", required: false, schema: { type: "string" } });
  }
  const ok =
    "media" in doc.ok
      ? { description: "OK", content: { [doc.ok.media]: { schema: { type: "string" } } } }
      : { description: "OK", content: { "application/json": { schema: ref(doc.ok.schema) } } };
  const responses: Record<string, unknown> = { [String(doc.ok.status)]: ok };
  if (route.path === "/api/v1/operations" && route.method === "POST") {
    responses["200"] = { description: "Attached to the live operation of the same plan", content: json("Submitted") };
  }
  for (const [status, description] of Object.entries(ERRORS)) {
    if (applies(route, status)) responses[status] = { description, content: json("Error") };
  }
  return {
    summary: route.summary,
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[/:]+([a-z*])/gi, (_m, c: string) => c.toUpperCase())}`,
    ...(route.access === "public" ? { security: [] } : { security: [{ bearer: [] }] }),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(doc.body === undefined ? {} : { requestBody: requestBody(doc.body) }),
    responses,
  };
}

function applies(route: Route, status: string): boolean {
  const mutates = route.method !== "GET";
  const hasId = route.path.includes(":id");
  switch (status) {
    case "401":
    case "403":
      return route.access !== "public" && route.access !== "metrics";
    case "404":
      return hasId;
    case "409":
      return mutates && (hasId || route.path === "/api/v1/operations");
    case "413":
    case "415":
      return route.doc.body !== undefined;
    default:
      return route.access !== "public";
  }
}

function requestBody(body: z.ZodType | "plan"): Record<string, unknown> {
  if (body === "plan") {
    return {
      required: true,
      description: "The plan, as JSON or YAML (JSON is YAML).",
      content: {
        "application/json": { schema: ref("Plan") },
        "application/yaml": { schema: ref("Plan") },
        "text/yaml": { schema: ref("Plan") },
      },
    };
  }
  return { required: true, content: { "application/json": { schema: inputSchema(body) } } };
}

function pathParameters(path: string): unknown[] {
  return [...path.matchAll(/:([A-Za-z]+)/g)].map((match) => ({
    name: match[1],
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
}

function queryParameters(query: z.ZodType | undefined): unknown[] {
  if (query === undefined) return [];
  const schema = inputSchema(query);
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: "query",
    required: false,
    schema: property,
    ...(typeof property.description === "string" ? { description: property.description } : {}),
  }));
}

function inputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  return rest;
}

function ref(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

function json(name: string): JsonSchema {
  return { "application/json": { schema: ref(name) } };
}

/** Rewrites `#/definitions/...` references so the schema works embedded at `base`. */
function rebase(schema: JsonSchema, base: string): JsonSchema {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value !== "object" || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key === "$schema") continue;
      out[key] =
        key === "$ref" && typeof item === "string" && item.startsWith("#/") ? `${base}/${item.slice(2)}` : walk(item);
    }
    return out;
  };
  return walk(schema) as JsonSchema;
}
