/**
 * Reads and validates a plan file, formatting every error as
 * `file:line:column field: message` for humans and CI logs.
 */
import { readFile } from "node:fs/promises";
import { parsePlan } from "../plan/parse.ts";
import type { Plan } from "../plan/types.ts";
import type { Registries } from "./wiring.ts";

/** A plan loaded from disk or the store. */
export interface LoadedPlan {
  readonly plan: Plan;
  readonly hash: string;
  readonly source: string;
  readonly file: string;
}

/** Result of loading: the plan, or every error as a printable line. */
export type LoadResult =
  | { readonly ok: true; readonly loaded: LoadedPlan }
  | { readonly ok: false; readonly lines: readonly string[] };

/** Reads `file` and validates it; never throws for a missing file or bad content. */
export async function loadPlanFile(file: string, registries: Registries): Promise<LoadResult> {
  let source: string;
  try {
    source = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    return { ok: false, lines: [`${file}: cannot read plan (${code})`] };
  }
  return loadPlanSource(source, file, registries);
}

/** Validates plan text (e.g. the pinned source from the store). */
export function loadPlanSource(source: string, file: string, registries: Registries): LoadResult {
  const parsed = parsePlan(source, file, registries);
  if (!parsed.ok) {
    return {
      ok: false,
      lines: parsed.errors.map(
        (e) => `${e.file}:${e.line}:${e.column} ${e.path === "" ? "(plan)" : e.path}: ${e.message}`,
      ),
    };
  }
  return { ok: true, loaded: { plan: parsed.plan, hash: parsed.hash, source, file } };
}
