/**
 * fast-check arbitrary of valid plans for the kinds of `testing-kinds.ts`,
 * as plain data: random sensors, stages, gates, guards and windows, with
 * every optional field sometimes present, so mutations reach every field.
 */
import fc from "fast-check";
import { COMPARISON_KEYS, CONDITION_GATE_NAMES, DAY_NAMES } from "./schema.ts";

type Data = Record<string, unknown>;

const TARGET_SENSORS = ["target.ready", "target.displaced", "target.requests", "target.errors"];
const SENSOR_NAMES = ["inflight", "error_rate", "requests", "errors", "lag", "acks", "old-sessions"];
const TIME_ZONES = ["Europe/Berlin", "America/New_York", "UTC", "Asia/Kolkata", "Australia/Lord_Howe"];

const duration = fc.constantFrom("250ms", "1s", "30s", "5m", "1m30s", "2h", "1d");
const text = fc.constantFrom("alice", "release-bot", "billing", "v2-a", "v1-b", "candidate");

/** A mapping with every `required` member and a random subset of the `optional` ones. */
const record = (required: Record<string, fc.Arbitrary<unknown>>, optional: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record({ ...required, ...optional }, { requiredKeys: Object.keys(required) }) as fc.Arbitrary<Data>;

const condition = (sensors: readonly string[]) =>
  fc
    .tuple(
      record(
        { sensor: fc.constantFrom(...sensors, ...TARGET_SENSORS) },
        {
          divideBy: fc.constantFrom(...sensors, ...TARGET_SENSORS),
          where: fc.dictionary(fc.constantFrom("cohort", "version"), text, { minKeys: 1 }),
          expectNodes: fc.array(text, { minLength: 1, maxLength: 1 }),
          aggregate: fc.constantFrom("sum", "max", "min", "avg", "every"),
          consecutive: fc.integer({ min: 1, max: 5 }),
          label: fc.constantFrom("displaced legacy requests", "replica lag"),
        },
      ),
      fc.constantFrom(...Object.keys(COMPARISON_KEYS)),
      fc.double({ min: -1000, max: 1000, noNaN: true }),
    )
    .map(([fields, comparison, threshold]) => ({ ...fields, [comparison]: threshold }));

const sensor = fc.oneof(
  record(
    { kind: fc.constant("http"), url: fc.constant("http://127.0.0.1:9000/metrics"), path: fc.constant("$.value") },
    {
      maxAge: duration,
      counter: fc.boolean(),
      headers: fc.dictionary(fc.constantFrom("accept", "x-id"), text, { minKeys: 1 }),
    },
  ),
  record(
    {
      kind: fc.constant("fake"),
      values: fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 3 }),
    },
    { maxAge: duration, counter: fc.boolean() },
  ),
);

const timeouts = record({}, { stage: duration, drain: duration, sensorBlind: duration });

const stage = (sensors: readonly string[], name: string) =>
  record(
    {
      name: fc.constant(name),
      action: fc.oneof(
        fc.integer({ min: 0, max: 100 }).map((candidatePercent) => ({ type: "weight", candidatePercent })),
        fc.array(text, { minLength: 1, maxLength: 1 }).map((nodes) => ({ type: "retire", nodes })),
      ),
    },
    {
      gates: fc
        .tuple(
          fc.subarray([...CONDITION_GATE_NAMES], { maxLength: 1 }),
          condition(sensors),
          record({}, { bake: duration, confirmed: fc.array(text, { minLength: 1, maxLength: 1 }) }),
        )
        .map(([gates, only, others]) => ({
          ...Object.fromEntries(gates.map((gate) => [gate, [only]])),
          ...others,
        })),
      timeouts,
    },
  );

const supercriticality = (sensors: readonly string[]) =>
  record(
    { requests: fc.constantFrom(...sensors, "target.requests"), errors: fc.constantFrom(...sensors, "target.errors") },
    {
      cohorts: fc.constant({ label: "cohort", legacy: "legacy", candidate: "candidate" }),
      mode: fc.constantFrom("sequential", "ratio"),
      ratio: fc.double({ min: 1, max: 10, noNaN: true }),
      minDelta: fc.double({ min: 0, max: 0.1, noNaN: true }),
      alpha: fc.double({ min: 0.0001, max: 0.1, noNaN: true }),
      referenceWindow: duration,
      minRequests: fc.nat(100),
    },
  );

const guard = (sensors: readonly string[], name: string) =>
  fc.oneof(
    record(
      { name: fc.constant(name), threshold: condition(sensors) },
      { failureLimit: fc.nat(5), consecutiveFailureLimit: fc.nat(5) },
    ),
    fc.record({ name: fc.constant(name), supercriticality: supercriticality(sensors) }),
  );

const window = fc
  .tuple(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 1, max: 1440 }))
  .filter(([from, to]) => from !== to)
  .chain(([from, to]) =>
    fc.record({
      days: fc.subarray([...DAY_NAMES], { minLength: 1, maxLength: 3 }),
      from: fc.constant(clock(from)),
      to: fc.constant(clock(to)),
      timeZone: fc.constantFrom(...TIME_ZONES),
    }),
  );

function clock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/** A valid plan, as plain data. */
export const validPlanArbitrary: fc.Arbitrary<Data> = fc
  .uniqueArray(fc.constantFrom(...SENSOR_NAMES), { minLength: 1, maxLength: 2 })
  .chain((names) =>
    fc
      .tuple(
        fc.tuple(...names.map(() => sensor)),
        fc
          .integer({ min: 1, max: 2 })
          .chain((count) => fc.tuple(...Array.from({ length: count }, (_, index) => stage(names, `stage-${index}`)))),
        fc
          .integer({ min: 0, max: 2 })
          .chain((count) => fc.tuple(...Array.from({ length: count }, (_, index) => guard(names, `guard-${index}`)))),
      )
      .chain(([sensors, stages, guards]) =>
        record(
          {
            name: fc.constantFrom("checkout-v2", "schema.expand", "flags_1"),
            domain: fc.constantFrom("prod-eu", "db-main"),
            target: record(
              { kind: fc.constant("traffic"), backend: fc.constantFrom("be_app", "be_api") },
              { token: text },
            ),
            sensors: fc.constant(Object.fromEntries(names.map((name, index) => [name, sensors[index]]))),
            stages: fc.constant(stages),
          },
          {
            kind: fc.constantFrom("Rollout", "Migration", "SecretRotation", "CacheInvalidation", "FlagRollout"),
            targets: fc.array(fc.constantFrom("service:checkout", "db:main"), { minLength: 1, maxLength: 1 }),
            interval: duration,
            onHalt: fc.constantFrom("pause", "rollback"),
            defaults: record({}, { maxAge: duration, timeouts }),
            windows: window.map((only) => [only]),
            after: record({ operation: fc.constant("schema-expand") }, { stage: fc.constant("expand") }),
            consumers: fc.array(text, { minLength: 1, maxLength: 1 }),
            guards: fc.constant(guards),
          },
        ),
      ),
  );
