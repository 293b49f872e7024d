/**
 * Regenerates `schema/plan.schema.json`, the editor schema for plans using
 * the built-in kinds: `npx tsx src/plan/write-plan-schema.ts`. Idempotent.
 * Run it after registering a kind in `cli/wiring.ts` (`airlock schema`
 * always prints the current one).
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { builtinRegistries } from "../cli/wiring.ts";
import { planJsonSchema } from "./json-schema.ts";

const file = fileURLToPath(new URL("../../schema/plan.schema.json", import.meta.url));
writeFileSync(file, `${JSON.stringify(planJsonSchema(builtinRegistries()), null, 2)}\n`);
// The project's formatter owns the layout, so that `npm test`'s lint passes on the generated file.
execFileSync("npx", ["biome", "format", "--write", file], { stdio: "inherit" });
