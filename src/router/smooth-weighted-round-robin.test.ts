import { describe, expect, it } from "vitest";
import { pickSmoothWeighted, type WeightedEntry } from "./smooth-weighted-round-robin.ts";

interface Named extends WeightedEntry {
  readonly name: string;
}

function entries(weights: Record<string, number>): Named[] {
  return Object.entries(weights).map(([name, weight]) => ({ name, weight, currentWeight: 0 }));
}

function picks(candidates: Named[], count: number): string[] {
  return Array.from({ length: count }, () => pickSmoothWeighted(candidates)?.name ?? "none");
}

describe("smooth weighted round-robin", () => {
  it("interleaves picks the way nginx does for weights 5, 1, 1", () => {
    expect(picks(entries({ a: 5, b: 1, c: 1 }), 7)).toEqual(["a", "a", "b", "a", "c", "a", "a"]);
  });

  it("gives each server exactly its weight's share over whole cycles", () => {
    const weights = { v1: 192, v2: 64, v3: 3 };
    const counts: Record<string, number> = {};
    for (const name of picks(entries(weights), 259 * 40)) counts[name] = (counts[name] ?? 0) + 1;
    expect(counts).toEqual({ v1: 192 * 40, v2: 64 * 40, v3: 3 * 40 });
  });

  it("never lets a server go more than one cycle without a pick", () => {
    const sequence = picks(entries({ heavy: 255, light: 1 }), 512);
    expect(sequence.filter((name) => name === "light")).toHaveLength(2);
  });

  it("returns undefined when there is no candidate", () => {
    expect(pickSmoothWeighted([])).toBeUndefined();
  });
});
