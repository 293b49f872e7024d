import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { HEAP_GROWING_PERCENT, heapPolicyFlags } from "./heap-policy.ts";

describe("the controller's heap policy", () => {
  it("limits heap growth between full collections unless the operator set it", () => {
    expect(heapPolicyFlags([])).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(heapPolicyFlags(["--enable-source-maps"])).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(heapPolicyFlags(["--heap-growing-percent=300"])).toBeUndefined();
    expect(heapPolicyFlags(["--heap_growing_percent=300"])).toBeUndefined();
  });

  it("is a flag this Node accepts at run time (an unknown flag would print a warning and be ignored)", () => {
    const flags = heapPolicyFlags([]) ?? "";
    const child = spawnSync(
      process.execPath,
      ["-e", `require("node:v8").setFlagsFromString(${JSON.stringify(flags)}); console.log("set")`],
      { encoding: "utf8" },
    );
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe("set");
    expect(child.stderr).toBe("");
    const listed = spawnSync(process.execPath, ["--v8-options"], { encoding: "utf8" }).stdout;
    expect(listed).toContain("--heap-growing-percent");
  });
});
