import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parsePlan } from "./parse.ts";
import { testingRegistries } from "./testing-kinds.ts";
import { mutationsOf } from "./testing-mutations.ts";
import { validPlanArbitrary } from "./testing-plan-arbitrary.ts";

const registries = testingRegistries();
const SEED = 0x41524c4b;
const MUTATION_RUNS = 10_000;

const FORMATS = ["yaml", "yaml-flow", "json"] as const;
type Format = (typeof FORMATS)[number];

function serialise(plan: unknown, format: Format): string {
  if (format === "json") return JSON.stringify(plan, null, 2);
  return stringify(plan, format === "yaml-flow" ? { collectionStyle: "flow" } : {});
}

/** Valid plans to mutate, sampled once: generating is slower than mutating. */
const basePlans = fc.sample(validPlanArbitrary, { seed: SEED, numRuns: 400 });
const baseMutations = basePlans.map(mutationsOf);

describe("plan fuzzing", () => {
  it("accepts every generated plan before it is mutated", () => {
    for (const [index, plan] of basePlans.entries()) {
      const format = FORMATS[index % FORMATS.length] ?? "yaml";
      const result = parsePlan(serialise(plan, format), "fuzz.yaml", registries);
      expect(result.ok ? [] : result.errors).toEqual([]);
    }
  });

  // About 25 s of CPU; the generous limit lets a busy machine slow it down without failing it.
  it(`rejects ${MUTATION_RUNS} mutated plans, reporting only the mutated field`, () => {
    const byCategory = new Map<string, { runs: number; errors: number; enclosing: number; lineChecked: number }>();
    fc.assert(
      fc.property(
        fc.nat(basePlans.length - 1),
        fc.nat(),
        fc.nat(),
        fc.constantFrom(...FORMATS),
        (planIndex, categoryPick, mutationPick, format) => {
          const mutations = baseMutations[planIndex] ?? new Map();
          const categories = [...mutations.keys()].sort();
          const list = mutations.get(categories[categoryPick % categories.length] ?? "") ?? [];
          const mutation = list[mutationPick % list.length];
          if (mutation === undefined) throw new Error("no mutation applies");
          const mutated = structuredClone(basePlans[planIndex]);
          mutation.apply(mutated ?? {});
          const source = serialise(mutated, format);
          const result = parsePlan(source, "fuzz.yaml", registries);

          const context = `${mutation.category} at ${mutation.expectedPath} (${format})\n${source}`;
          expect(result.ok, context).toBe(false);
          const errors = result.ok ? [] : result.errors;
          expect(errors.length, context).toBeGreaterThan(0);
          const lines = source.split("\n");
          for (const error of errors) {
            expect(error.path, `${context}\n${error.message}`).toBe(mutation.expectedPath);
            expect(error.line).toBeGreaterThanOrEqual(1);
            expect(error.line).toBeLessThanOrEqual(lines.length);
            expect(error.column).toBeGreaterThanOrEqual(1);
          }
          const checkLine = mutation.lineText !== undefined && format !== "yaml-flow";
          if (checkLine) {
            // A block collection value starts on the line after its key.
            const near = errors.map((error) => `${lines[error.line - 1]}\n${lines[error.line - 2] ?? ""}`);
            expect(
              near.some((text) => text.includes(mutation.lineText ?? "")),
              context,
            ).toBe(true);
          }
          const stats = byCategory.get(mutation.category) ?? { runs: 0, errors: 0, enclosing: 0, lineChecked: 0 };
          byCategory.set(mutation.category, {
            runs: stats.runs + 1,
            errors: stats.errors + errors.length,
            enclosing: stats.enclosing + (mutation.relation === "enclosing" ? 1 : 0),
            lineChecked: stats.lineChecked + (checkLine ? 1 : 0),
          });
        },
      ),
      { seed: SEED, numRuns: MUTATION_RUNS },
    );
    console.info(
      [...byCategory.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(
          ([category, s]) =>
            `${category.padEnd(22)} runs ${s.runs}  errors ${s.errors}  enclosing ${s.enclosing}  line-checked ${s.lineChecked}`,
        )
        .join("\n"),
    );
    // Every kind of mistake is tried often (13 categories share the runs; duplicates need two stages or guards).
    for (const stats of byCategory.values()) expect(stats.runs).toBeGreaterThan(MUTATION_RUNS / 40);
  }, 600_000);

  it("reports YAML syntax damage at its line, as a whole-document error", () => {
    const damages = ["name: duplicate", '"unterminated: x', "stray: [unclosed"];
    fc.assert(
      fc.property(fc.constantFrom(...basePlans), fc.constantFrom(...damages), (plan, damage) => {
        const valid = stringify(plan);
        const source = `${valid}${damage}\n`;
        const damagedLine = valid.split("\n").length;
        const result = parsePlan(source, "fuzz.yaml", registries);
        expect(result.ok).toBe(false);
        const errors = result.ok ? [] : result.errors;
        expect(errors.map((error) => error.path)).toEqual(errors.map(() => ""));
        // An unclosed construct is noticed where the input ends, one line further.
        expect(errors[0]?.line).toBeGreaterThanOrEqual(damagedLine);
        expect(errors[0]?.line).toBeLessThanOrEqual(damagedLine + 1);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("never throws on arbitrary text or data", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((value) => JSON.stringify(value)),
        ),
        (source) => {
          expect(() => parsePlan(source, "fuzz.yaml", registries)).not.toThrow();
        },
      ),
      { seed: SEED, numRuns: 1_000 },
    );
  });
});
