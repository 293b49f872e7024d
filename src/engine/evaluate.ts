/**
 * All threshold evaluation, in one place (sensors never judge their own
 * values). A condition over prepared readings (fresh, counters already turned
 * into deltas) passes, fails, or errors; an error never passes: a missing,
 * failed or empty reading, or a vector without an expected node, fails closed.
 */
import type { ComparisonOp, Condition } from "../plan/types.ts";
import type { NodeLabels, NodeValues, Reading } from "../sensors/sensor.ts";
import { formatNumber } from "./format.ts";

/** Outcome of one condition evaluation. `observed` is the value (or error) as text. */
export type ConditionResult =
  | { readonly kind: "pass" | "fail"; readonly observed: string }
  | { readonly kind: "error"; readonly code: string; readonly observed: string };

/** Prepared readings by sensor name. */
export type Readings = Readonly<Record<string, Reading>>;

/** `value op threshold`. NaN never holds. */
export function compare(value: number, op: ComparisonOp, threshold: number): boolean {
  switch (op) {
    case "<":
      return value < threshold;
    case "<=":
      return value <= threshold;
    case ">":
      return value > threshold;
    case ">=":
      return value >= threshold;
    case "==":
      return value === threshold;
    default: {
      const unreachable: never = op;
      return unreachable;
    }
  }
}

/** What the condition wants, e.g. `<= 0`. */
export function expectedText(condition: Pick<Condition, "op" | "threshold">): string {
  return `${condition.op} ${formatNumber(condition.threshold)}`;
}

/** The condition's human label, e.g. `displaced legacy requests`. */
export function conditionLabel(condition: Condition): string {
  if (condition.label !== undefined) return condition.label;
  const ratio = condition.divideBy === undefined ? "" : ` / ${condition.divideBy}`;
  return `${condition.aggregate} ${condition.sensor}${ratio}`;
}

type Sample =
  | { readonly ok: true; readonly scalar: number }
  | { readonly ok: true; readonly nodes: NodeValues; readonly labels: NodeLabels | undefined }
  | { readonly ok: false; readonly code: string; readonly message: string };

function error(code: string, message: string): ConditionResult {
  return { kind: "error", code, observed: `${code}: ${message}` };
}

function matchesWhere(labels: NodeLabels | undefined, node: string, where: Condition["where"]): boolean {
  if (where === undefined) return true;
  const own = labels?.[node];
  for (const key in where) if (own?.[key] !== where[key]) return false;
  return true;
}

/** Node rules a sample applies: the divisor of a ratio filters by `where` only when it is a vector. */
interface NodeRules {
  readonly where: Condition["where"];
  readonly expectNodes: readonly string[];
  readonly scalarAllowed: boolean;
}

function sample(sensor: string, readings: Readings, rules: NodeRules): Sample {
  const reading = readings[sensor];
  if (reading === undefined) return { ok: false, code: "missing", message: `no reading from ${sensor}` };
  if (!reading.ok) return { ok: false, code: reading.code, message: reading.message };
  const value = reading.value;
  if (value.type === "scalar") {
    if (!rules.scalarAllowed) {
      return { ok: false, code: "not-vector", message: `${sensor} gave a scalar; nodes were expected` };
    }
    return Number.isFinite(value.value)
      ? { ok: true, scalar: value.value }
      : { ok: false, code: "not-a-number", message: `${sensor} gave ${value.value}` };
  }
  for (const node of rules.expectNodes) {
    if (value.values[node] === undefined) {
      return { ok: false, code: "missing-node", message: `${sensor} has no value for expected node ${node}` };
    }
  }
  let count = 0;
  for (const node in value.values) {
    if (!matchesWhere(value.labels, node, rules.where)) continue;
    if (!Number.isFinite(value.values[node])) {
      return { ok: false, code: "not-a-number", message: `${sensor} gave ${value.values[node]} for ${node}` };
    }
    count++;
  }
  if (count === 0) return { ok: false, code: "empty", message: `${sensor} has no matching nodes` };
  return { ok: true, nodes: value.values, labels: value.labels };
}

function aggregateOf(condition: Condition, s: Sample & { ok: true }): number {
  if ("scalar" in s) return s.scalar;
  let sum = 0;
  let max = Number.NEGATIVE_INFINITY;
  let min = Number.POSITIVE_INFINITY;
  let count = 0;
  for (const node in s.nodes) {
    if (!matchesWhere(s.labels, node, condition.where)) continue;
    const v = s.nodes[node] ?? 0;
    sum += v;
    if (v > max) max = v;
    if (v < min) min = v;
    count++;
  }
  switch (condition.aggregate) {
    case "max":
      return max;
    case "min":
      return min;
    case "avg":
      return sum / count;
    default:
      return sum;
  }
}

function ratio(numerator: number, denominator: number, what: string): number | ConditionResult {
  if (denominator === 0) return error("divide-by-zero", `${what} is 0`);
  return numerator / denominator;
}

function evaluateEvery(
  condition: Condition,
  numerator: Sample & { ok: true },
  divisor: Sample | undefined,
): ConditionResult | undefined {
  if ("scalar" in numerator) return undefined;
  const failing: string[] = [];
  let total = 0;
  for (const node in numerator.nodes) {
    if (!matchesWhere(numerator.labels, node, condition.where)) continue;
    let value = numerator.nodes[node] ?? 0;
    if (divisor?.ok) {
      const d = "scalar" in divisor ? divisor.scalar : divisor.nodes[node];
      if (d === undefined) return error("missing-node", `${condition.divideBy} has no value for node ${node}`);
      const r = ratio(value, d, `${condition.divideBy} for ${node}`);
      if (typeof r !== "number") return r;
      value = r;
    }
    total++;
    if (!compare(value, condition.op, condition.threshold)) failing.push(`${node}=${formatNumber(value)}`);
  }
  if (failing.length === 0) return { kind: "pass", observed: `${total}/${total} nodes` };
  const shown =
    failing.length > 3 ? `${failing.slice(0, 3).join(", ")} +${failing.length - 3} more` : failing.join(", ");
  return { kind: "fail", observed: shown };
}

/**
 * Evaluates one condition: `where` filters a vector, `expectNodes` must all
 * be present, `divideBy` divides by a second sensor (per node for `every`
 * with a vector divisor), then the aggregate is compared with the threshold.
 * Pure; consecutive passes are counted by the caller.
 */
export function evaluateCondition(condition: Condition, readings: Readings): ConditionResult {
  const expectNodes = condition.expectNodes ?? [];
  const scalarAllowed = condition.where === undefined && expectNodes.length === 0;
  const numerator = sample(condition.sensor, readings, { where: condition.where, expectNodes, scalarAllowed });
  if (!numerator.ok) return error(numerator.code, numerator.message);
  let divisor: Sample | undefined;
  if (condition.divideBy !== undefined) {
    divisor = sample(condition.divideBy, readings, { where: condition.where, expectNodes: [], scalarAllowed: true });
    if (!divisor.ok) return error(divisor.code, divisor.message);
  }
  if (condition.aggregate === "every") {
    const every = evaluateEvery(condition, numerator, divisor);
    if (every !== undefined) return every;
  }
  let value = aggregateOf(condition, numerator);
  if (divisor?.ok) {
    const r = ratio(value, aggregateOf(condition, divisor), `${condition.divideBy}`);
    if (typeof r !== "number") return r;
    value = r;
  }
  return {
    kind: compare(value, condition.op, condition.threshold) ? "pass" : "fail",
    observed: formatNumber(value),
  };
}
