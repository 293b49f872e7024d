/**
 * Turns query rows into a reading: one row of one number (scalar), or one
 * row per node (vector). Anything else fails closed: no rows is `empty`,
 * never zero.
 */
import type { Reading } from "../sensor.ts";
import type { QueryRows } from "./pg-reader.ts";

/** Which columns hold the node name and the value. */
export interface RowShape {
  /** Present: a vector keyed by this column. Absent: a scalar. */
  readonly nodeColumn?: string;
  /** The value column; may be omitted when the result has exactly one other column. */
  readonly valueColumn?: string;
}

/** Converts rows to a reading observed at `observedAtMs`. Pure. */
export function rowsToReading(result: QueryRows, shape: RowShape, observedAtMs: number): Reading {
  const fail = (code: string, message: string): Reading => ({ ok: false, code, message, observedAtMs });
  if (result.rows.length === 0) return fail("empty", "query returned no rows");
  const valueColumn = pickValueColumn(result.columns, shape);
  if (typeof valueColumn !== "string") return fail("parse", valueColumn.error);

  if (shape.nodeColumn === undefined) {
    if (result.rows.length !== 1) return fail("parse", `expected exactly one row, got ${result.rows.length}`);
    const value = toNumber(result.rows[0]?.[valueColumn]);
    if (value === undefined) return fail("parse", `column ${valueColumn} is not a finite number`);
    return { ok: true, observedAtMs, value: { type: "scalar", value } };
  }

  const values: Record<string, number> = {};
  for (const row of result.rows) {
    const node: unknown = row[shape.nodeColumn];
    if (node === null || node === undefined || String(node) === "") {
      return fail("parse", `a row has no node name in column ${shape.nodeColumn}`);
    }
    const name = String(node);
    if (name in values) return fail("parse", `node ${name} appears in more than one row`);
    const value = toNumber(row[valueColumn]);
    if (value === undefined) return fail("parse", `column ${valueColumn} of node ${name} is not a finite number`);
    values[name] = value;
  }
  return { ok: true, observedAtMs, value: { type: "vector", values } };
}

function pickValueColumn(columns: readonly string[], shape: RowShape): string | { readonly error: string } {
  if (shape.nodeColumn !== undefined && !columns.includes(shape.nodeColumn)) {
    return { error: `the result has no column ${shape.nodeColumn} (columns: ${columns.join(", ")})` };
  }
  if (shape.valueColumn !== undefined) {
    return columns.includes(shape.valueColumn)
      ? shape.valueColumn
      : { error: `the result has no column ${shape.valueColumn} (columns: ${columns.join(", ")})` };
  }
  const candidates = columns.filter((column) => column !== shape.nodeColumn);
  const [only] = candidates;
  return candidates.length === 1 && only !== undefined
    ? only
    : { error: `cannot tell the value column among ${candidates.join(", ") || "no columns"}; set valueColumn` };
}

// `pg` returns bigint and numeric as strings; both are exact decimal text.
function toNumber(raw: unknown): number | undefined {
  if (typeof raw === "number") return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw === "string" && raw.trim() !== "") {
    const value = Number(raw);
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}
