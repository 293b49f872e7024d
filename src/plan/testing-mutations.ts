/**
 * The fuzz test's catalogue of mistakes: every way of breaking a valid plan
 * (from `testing-plan-arbitrary.ts`) that the plan language must catch,
 * each with the field path the error must name.
 */
import { COMPARISON_KEYS, CONDITION_GATE_NAMES } from "./schema.ts";
import { formatPath, type PathSegment } from "./source-map.ts";

type Data = Record<string, unknown>;

/** One mistake applied to a plan. */
export interface Mutation {
  readonly category: string;
  /** The path every reported error must have. */
  readonly expectedPath: string;
  /**
   * `exact`: the mutated field itself. `enclosing`: the condition or guard
   * the broken rule is about ("exactly one comparison", "exactly one of
   * threshold and supercriticality"), a prefix of the mutated field.
   */
  readonly relation: "exact" | "enclosing";
  /** Text that must appear on the reported line (block YAML and JSON), when the mistake has a key of its own. */
  readonly lineText?: string;
  apply(plan: Data): void;
}

interface Site {
  readonly path: readonly PathSegment[];
  readonly pattern: string;
  readonly value: unknown;
}

const CONDITIONS = ["stages[].gates.<gate>[]", "guards[].threshold"];
const COMPARISONS = Object.keys(COMPARISON_KEYS);
const SUPER = "guards[].supercriticality";

const REQUIRED = new Set([
  "name",
  "domain",
  "target",
  "stages",
  "target.kind",
  "target.backend",
  "sensors.*.kind",
  "sensors.*.url",
  "sensors.*.path",
  "sensors.*.values",
  "stages[].name",
  "stages[].action",
  "stages[].action.type",
  "stages[].action.candidatePercent",
  "stages[].action.nodes",
  ...CONDITIONS.map((condition) => `${condition}.sensor`),
  "windows[].days",
  "windows[].from",
  "windows[].to",
  "windows[].timeZone",
  "after.operation",
  "guards[].name",
  `${SUPER}.requests`,
  `${SUPER}.errors`,
  `${SUPER}.cohorts.label`,
  `${SUPER}.cohorts.legacy`,
  `${SUPER}.cohorts.candidate`,
]);

const POSITIVE_DURATIONS = new Set([
  "interval",
  "defaults.maxAge",
  ...["defaults.timeouts", "stages[].timeouts"].flatMap((t) => [`${t}.stage`, `${t}.drain`, `${t}.sensorBlind`]),
  "sensors.*.maxAge",
  `${SUPER}.referenceWindow`,
]);
const BAD_DURATIONS = ["30", "5 min", "1.5s", "-5s", "soon", "", "30s1m", "1m1m", 30, "99999999999999999999d"];

/** Invalid values to set on a mapping of the given pattern, by key. */
const SETTINGS: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, readonly unknown[]>>>>>> = {
  "unknown kind or value": {
    "": { kind: ["Deploy"], onHalt: ["explode"] },
    target: { kind: ["nope"] },
    "sensors.*": { kind: ["prometheus"] },
    "stages[].action": { type: ["teleport"] },
    ...Object.fromEntries(CONDITIONS.map((c) => [c, { aggregate: ["median"] }])),
    [SUPER]: { mode: ["linear"] },
  },
  "undefined sensor": {
    ...Object.fromEntries(
      CONDITIONS.map((c) => [c, { sensor: ["ghost", "target.ghost"], divideBy: ["ghost", "target."] }]),
    ),
    [SUPER]: { requests: ["ghost", "target.ghost"], errors: ["ghost"] },
  },
  "invalid number": {
    ...Object.fromEntries(CONDITIONS.map((c) => [c, { consecutive: [0, -2, 1.5] }])),
    "guards[]": { failureLimit: [-1, 0.5], consecutiveFailureLimit: [-1, 2.5] },
    [SUPER]: { ratio: [0.5, -1], minDelta: [-0.01], alpha: [0, 1, 1.5, -0.1], minRequests: [-3, 2.5] },
    "stages[].action": { candidatePercent: [-5, 150] },
  },
  "bad time zone": { "windows[]": { timeZone: ["Mars/Olympus", "Europe/Berlín", "", "GMT+25", "Berlin"] } },
  "bad time": { "windows[]": { from: ["25:00", "9:00", "12:60", "noon", "24:00"], to: ["24:01", "7", "", "12:5"] } },
  "bad name": {
    "": { name: ["Checkout V2", "-lead", "", "a".repeat(129), "UPPER"], domain: [""] },
    "stages[]": { name: [""] },
    "guards[]": { name: [""] },
  },
};

/** Every mutation that applies to `plan`, by category. */
export function mutationsOf(plan: Data): Map<string, Mutation[]> {
  const sites = sitesOf(plan, []);
  const byCategory = new Map<string, Mutation[]>();
  const add = (mutation: Mutation) => {
    const list = byCategory.get(mutation.category);
    if (list === undefined) byCategory.set(mutation.category, [mutation]);
    else list.push(mutation);
  };
  const set = (category: string, path: readonly PathSegment[], value: unknown, expected = path) => {
    const last = path[path.length - 1];
    add({
      category,
      expectedPath: formatPath(expected),
      relation: expected === path ? "exact" : "enclosing",
      ...(typeof last === "string" && expected === path ? { lineText: last } : {}),
      apply: (target) => setAt(target, path, value),
    });
  };
  for (const site of sites) {
    const { path, pattern, value } = site;
    const parent = path.slice(0, -1);
    const parentPattern = patternOf(parent);
    if (path.length > 0) for (const other of otherTypes(value)) set("wrong type", path, other);
    if (REQUIRED.has(pattern)) {
      add({
        category: "delete required",
        expectedPath: formatPath(path),
        relation: "exact",
        apply: (t) => deleteAt(t, path),
      });
    }
    if (CONDITIONS.includes(parentPattern) && COMPARISONS.includes(String(path[path.length - 1]))) {
      add({
        category: "delete required",
        expectedPath: formatPath(parent),
        relation: "enclosing",
        apply: (t) => deleteAt(t, path),
      });
    }
    if (POSITIVE_DURATIONS.has(pattern) || pattern === "stages[].gates.bake") {
      const values = POSITIVE_DURATIONS.has(pattern) ? [...BAD_DURATIONS, "0s"] : BAD_DURATIONS;
      for (const bad of values) set("bad duration", path, bad);
    }
    if (isMapping(value)) {
      set("unknown field", [...path, "colour"], 1);
      for (const [category, byPattern] of Object.entries(SETTINGS)) {
        for (const [key, values] of Object.entries(byPattern[pattern] ?? {})) {
          for (const bad of values) set(category, [...path, key], bad);
        }
      }
      if (CONDITIONS.includes(pattern)) {
        const extra = COMPARISONS.find((comparison) => value[comparison] === undefined);
        if (extra !== undefined) set("conflicting fields", [...path, extra], 1, path);
      }
      if (pattern === "guards[]") {
        const other =
          value.threshold === undefined
            ? ["threshold", { sensor: "target.ready", min: 1 }]
            : ["supercriticality", { requests: "target.requests", errors: "target.errors" }];
        set("conflicting fields", [...path, String(other[0])], other[1], path);
      }
      if (pattern === "windows[]") set("conflicting fields", [...path, "to"], value.from);
    }
    if (Array.isArray(value) && EMPTY_LIST_REFUSED.has(pattern)) set("empty list", path, []);
    if (pattern === "windows[].days[]") set("unknown kind or value", path, "funday");
  }
  addDuplicates(plan, "stages", add);
  addDuplicates(plan, "guards", add);
  addSensorRenames(plan, add);
  return byCategory;
}

const EMPTY_LIST_REFUSED = new Set([
  "stages",
  "stages[].gates.<gate>",
  "stages[].gates.confirmed",
  "windows[].days",
  "sensors.*.values",
  "stages[].action.nodes",
]);

function addDuplicates(plan: Data, field: "stages" | "guards", add: (mutation: Mutation) => void): void {
  const list = plan[field];
  if (!Array.isArray(list)) return;
  for (let later = 1; later < list.length; later++) {
    for (let earlier = 0; earlier < later; earlier++) {
      add({
        category: "duplicate name",
        expectedPath: formatPath([field, later, "name"]),
        relation: "exact",
        lineText: "name",
        apply: (target) => setAt(target, [field, later, "name"], (list[earlier] as Data).name),
      });
    }
  }
}

/** Renames sensors nothing refers to (renaming a referenced one would be a different mistake at the references). */
function addSensorRenames(plan: Data, add: (mutation: Mutation) => void): void {
  const sensors = plan.sensors as Data;
  const referenced = JSON.stringify([plan.stages, plan.guards]);
  for (const name of Object.keys(sensors)) {
    if (referenced.includes(`"${name}"`)) continue;
    add({
      category: "bad name",
      expectedPath: formatPath(["sensors", "bad name"]),
      relation: "exact",
      lineText: "bad name",
      apply: (target) => {
        target.sensors = Object.fromEntries(
          Object.entries(target.sensors as Data).map(([key, entry]) => [key === name ? "bad name" : key, entry]),
        );
      },
    });
  }
}

function sitesOf(value: unknown, path: readonly PathSegment[]): Site[] {
  const here: Site = { path, pattern: patternOf(path), value };
  if (Array.isArray(value)) return [here, ...value.flatMap((item, index) => sitesOf(item, [...path, index]))];
  if (isMapping(value)) return [here, ...Object.entries(value).flatMap(([key, item]) => sitesOf(item, [...path, key]))];
  return [here];
}

/** The path with list indices as `[]`, sensor, header and label names as `*`, condition gates as `<gate>`. */
function patternOf(path: readonly PathSegment[]): string {
  let pattern = "";
  for (const [index, segment] of path.entries()) {
    if (typeof segment === "number") {
      pattern += "[]";
      continue;
    }
    const parent = path[index - 1];
    const isName = (parent === "sensors" && index === 1) || parent === "where" || parent === "headers";
    const isGate = parent === "gates" && (CONDITION_GATE_NAMES as readonly string[]).includes(segment);
    const key = isName ? "*" : isGate ? "<gate>" : segment;
    pattern += pattern === "" ? key : `.${key}`;
  }
  return pattern;
}

/** Values of every JSON type except `value`'s own. */
function otherTypes(value: unknown): unknown[] {
  const candidates = [42, "text", true, null, ["a list"], { a: "mapping" }];
  return candidates.filter((candidate) => jsonType(candidate) !== jsonType(value));
}

function jsonType(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

function isMapping(value: unknown): value is Data {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function containerAt(plan: Data, path: readonly PathSegment[]): Data | unknown[] {
  let node: unknown = plan;
  for (const segment of path.slice(0, -1)) node = (node as Record<PathSegment, unknown>)[segment];
  return node as Data | unknown[];
}

function setAt(plan: Data, path: readonly PathSegment[], value: unknown): void {
  const key = path[path.length - 1] as PathSegment;
  (containerAt(plan, path) as Record<PathSegment, unknown>)[key] = value;
}

function deleteAt(plan: Data, path: readonly PathSegment[]): void {
  const key = path[path.length - 1] as PathSegment;
  delete (containerAt(plan, path) as Record<PathSegment, unknown>)[key];
}
