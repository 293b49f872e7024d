/**
 * Parses and validates a plan written in YAML or JSON (JSON is YAML, so one
 * parser serves both) and normalises it into the engine's {@link Plan}.
 * Every problem is reported at once, each with file, line, column, field
 * path and what was expected versus found.
 */
import { LineCounter, parseDocument, type YAMLError } from "yaml";
import { checkKinds, type PlanRegistries } from "./check-kinds.ts";
import { checkReferences } from "./check-references.ts";
import { normalisePlan } from "./normalise.ts";
import { hashPlan } from "./plan-hash.ts";
import { planSurfaceSchema } from "./schema.ts";
import { formatPath, locate } from "./source-map.ts";
import type { Plan } from "./types.ts";
import { type PlanIssue, validateWith } from "./validate-with.ts";

export type { PlanRegistries } from "./check-kinds.ts";

/** One validation error, positioned in the plan's source. */
export interface PlanError {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** Field path like `stages[1].gates.drained[0].max`; `""` for the whole document (e.g. YAML syntax). */
  readonly path: string;
  /** What was expected and what was found. */
  readonly message: string;
}

/** Outcome of {@link parsePlan}. `hash` is the hex SHA-256 that pins the plan. */
export type ParsePlanResult =
  | { readonly ok: true; readonly plan: Plan; readonly hash: string }
  | { readonly ok: false; readonly errors: readonly PlanError[] };

/**
 * Parses `source` (the text of `file`, used only in error reports) against
 * the given kinds. Pure and deterministic: the same text and registries
 * give the same plan and hash. Never throws: an internal failure becomes an
 * error value asking for a bug report, so user input can never crash
 * validation. Errors are sorted by position.
 */
export function parsePlan(source: string, file: string, registries: PlanRegistries): ParsePlanResult {
  try {
    return parseUnchecked(source, file, registries);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      errors: [
        { file, line: 1, column: 1, path: "", message: `internal error while validating (please report): ${reason}` },
      ],
    };
  }
}

function parseUnchecked(source: string, file: string, registries: PlanRegistries): ParsePlanResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return { ok: false, errors: doc.errors.map((error) => syntaxError(error, file)) };
  const data: unknown = doc.toJS({ maxAliasCount: 100 });

  const surface = validateWith(planSurfaceSchema, data, []);
  const kinds = checkKinds(data, registries);
  const issues: PlanIssue[] = [
    ...(surface.ok ? [] : surface.issues),
    ...kinds.issues,
    ...checkReferences(data, kinds.target),
  ];
  if (issues.length > 0 || !surface.ok || kinds.target === undefined) {
    if (issues.length === 0)
      issues.push({
        path: [],
        message: "internal error: plan rejected without a reason (please report)",
        pointAt: "value",
      });
    const errors = issues.map(({ path, message, pointAt }): PlanError => {
      const { line, column } = locate(doc, lineCounter, path, pointAt);
      return { file, line, column, path: formatPath(path), message };
    });
    return { ok: false, errors: sortUnique(errors) };
  }
  const plan = normalisePlan(surface.data, { ...kinds, target: kinds.target });
  return { ok: true, plan, hash: hashPlan(plan) };
}

function syntaxError(error: YAMLError, file: string): PlanError {
  const start = error.linePos?.[0];
  // The first line is the explanation; `prettyErrors` appends the position and a source excerpt.
  const summary = (error.message.split("\n")[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, "");
  return { file, line: start?.line ?? 1, column: start?.col ?? 1, path: "", message: `YAML syntax: ${summary}` };
}

function sortUnique(errors: readonly PlanError[]): PlanError[] {
  const seen = new Set<string>();
  const unique = errors.filter((error) => {
    const key = `${error.path}\u0000${error.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => a.line - b.line || a.column - b.column || a.path.localeCompare(b.path));
}
