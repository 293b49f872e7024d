/**
 * What a plan submitted over the API may do. The API must not become a way
 * to run programs on the server or to reach addresses on behalf of anyone
 * holding a token, so a submitted (already valid) plan is walked generically
 * — every sensor config, the target config and every stage action — and
 * refused when it:
 *
 * - uses a `command` sensor or target, or any `command` field (hooks);
 * - contains a URL (`scheme://…`) or a bare `host:port` address outside the
 *   operator's allowlist (`--allow-url-prefix`, compared by scheme, host,
 *   port and path prefix — never by raw string, so `http://ok@evil/` fails);
 * - references the server's environment (`${NAME}`), unless the operator
 *   allowed that variable (it could send a server secret to an allowed URL);
 * - names a file on the server (`/…`, `./…`, `../…`, `~/…`, `file:`).
 *
 * The allowlist is the operator's configuration, never the plan's.
 */
import { isMap, LineCounter, parseDocument } from "yaml";
import type { PlanError } from "../plan/parse.ts";
import { formatPath, locate, type PathSegment } from "../plan/source-map.ts";

/** The server's policy for submitted plans. */
export interface PlanPolicy {
  /** URL prefixes plans may point at, e.g. `http://127.0.0.1:9090/`. Empty: no URL is allowed. */
  readonly allowUrlPrefixes: readonly string[];
  /** Environment variable names plans may reference as `${NAME}`. */
  readonly allowEnv: readonly string[];
}

interface Finding {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const HOST_PORT = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;
const FILE_PATH = /^(?:\/|\.\.?\/|~\/|file:)/;
const ENV_REF = /\$\{([^}]*)\}/g;
const SENSOR_PLAN_FIELDS = new Set(["kind", "maxAge", "counter"]);

/**
 * Checks `source` (a plan that already passed `parsePlan`) against `policy`.
 * Returns every finding as a plan error with line, column and field path;
 * empty means allowed. Pure.
 */
export function checkSubmittedPlan(source: string, file: string, policy: PlanPolicy): PlanError[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter });
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isRecord(data) || !isMap(doc.contents)) return [];
  const findings: Finding[] = [];
  const walk = (value: unknown, path: PathSegment[]): void => walkValue(value, path, policy, findings);
  if (isRecord(data.sensors)) {
    for (const [name, sensor] of Object.entries(data.sensors)) {
      if (!isRecord(sensor)) continue;
      if (sensor.kind === "command") findings.push(commandKind(["sensors", name, "kind"], "sensor"));
      walk(without(sensor, SENSOR_PLAN_FIELDS), ["sensors", name]);
    }
  }
  if (isRecord(data.target)) {
    if (data.target.kind === "command") findings.push(commandKind(["target", "kind"], "target"));
    walk(without(data.target, new Set(["kind"])), ["target"]);
  }
  if (Array.isArray(data.stages)) {
    data.stages.forEach((stage, i) => {
      if (isRecord(stage)) walk(stage.action, ["stages", i, "action"]);
    });
  }
  return findings.map(({ path, message }) => {
    const { line, column } = locate(doc, lineCounter, path, "value");
    return { file, line, column, path: formatPath(path), message };
  });
}

function commandKind(path: PathSegment[], what: string): Finding {
  return {
    path,
    message: `a command ${what} runs programs on the server: not allowed in plans submitted over the API (run such plans with the CLI)`,
  };
}

function walkValue(value: unknown, path: PathSegment[], policy: PlanPolicy, findings: Finding[]): void {
  if (typeof value === "string") {
    const message = stringFinding(value, policy);
    if (message !== undefined) findings.push({ path, message });
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) walkValue(item, [...path, i], policy, findings);
    return;
  }
  if (!isRecord(value)) return;
  for (const [key, item] of Object.entries(value)) {
    if (key === "command") {
      findings.push({
        path: [...path, key],
        message: "runs a program on the server: not allowed in plans submitted over the API",
      });
      continue;
    }
    walkValue(item, [...path, key], policy, findings);
  }
}

function stringFinding(text: string, policy: PlanPolicy): string | undefined {
  for (const match of text.matchAll(ENV_REF)) {
    const name = match[1] ?? "";
    if (!policy.allowEnv.includes(name)) {
      return `references the server's environment (\${${name}}): not allowed in plans submitted over the API unless the operator allows that variable`;
    }
  }
  const trimmed = text.trim();
  if (URL_LIKE.test(trimmed)) return urlFinding(trimmed, policy);
  if (HOST_PORT.test(trimmed)) return urlFinding(`tcp://${trimmed}/`, policy, trimmed);
  if (FILE_PATH.test(trimmed)) return "names a file on the server: not allowed in plans submitted over the API";
  return undefined;
}

function urlFinding(text: string, policy: PlanPolicy, shown = text): string | undefined {
  const url = parseUrl(text);
  if (url === undefined) return `"${redact(shown)}" is not a URL the server's allowlist can check`;
  if (policy.allowUrlPrefixes.some((prefix) => urlAllowed(url, prefix))) return undefined;
  return `${redact(shown)} is outside the server's URL allowlist (--allow-url-prefix)`;
}

/** Whether `url` falls under `prefix`: same scheme, host and port, and a path under the prefix's path. Pure. */
export function urlAllowed(url: URL, prefix: string): boolean {
  const allowed = parseUrl(prefix);
  if (allowed === undefined) return false;
  if (url.protocol !== allowed.protocol || url.host !== allowed.host) return false;
  const base = allowed.pathname === "" ? "/" : allowed.pathname;
  if (base.endsWith("/")) return url.pathname.startsWith(base) || `${url.pathname}/` === base;
  return url.pathname === base || url.pathname.startsWith(`${base}/`);
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Hides URL credentials in messages. */
function redact(text: string): string {
  return text.replace(/(\/\/)[^/@\s]*@/, "$1***@");
}

function without(record: Record<string, unknown>, keys: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !keys.has(key)));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
