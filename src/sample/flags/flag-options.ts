/**
 * Environment options of the sample service's flag evaluator (`main.ts`):
 *
 *   SAMPLE_FLAG_FILE          flagd flag definition file; no evaluator unless set
 *   SAMPLE_FLAG_KEY           flag evaluated by `GET /flag` (required with the file)
 *   SAMPLE_FLAG_RELOAD_MS     how often the file is checked (default 1000)
 *   SAMPLE_FLAG_ERROR_RATES   per-variant error share, e.g. `on=0.5,off=0.01`
 */
import type { FlagEvaluatorOptions } from "./flag-evaluator.ts";

/** The evaluator's options (`undefined`: no flag file configured), or a usage error. */
export type ParsedFlagOptions =
  | { readonly ok: true; readonly value: FlagEvaluatorOptions | undefined }
  | { readonly ok: false; readonly message: string };

function errorRates(text: string): Record<string, number> | string {
  const rates: Record<string, number> = {};
  for (const pair of text.split(",").filter((p) => p.trim() !== "")) {
    const match = /^\s*([^=\s]+)\s*=\s*([0-9.]+)\s*$/.exec(pair);
    const rate = Number(match?.[2]);
    if (match?.[1] === undefined || !(rate >= 0 && rate <= 1)) {
      return `SAMPLE_FLAG_ERROR_RATES: expected variant=share pairs with shares in [0, 1], found ${JSON.stringify(pair)}`;
    }
    rates[match[1]] = rate;
  }
  return rates;
}

/** Parses the `SAMPLE_FLAG_*` variables. Pure. */
export function parseFlagOptions(env: Readonly<Record<string, string | undefined>>): ParsedFlagOptions {
  const file = env.SAMPLE_FLAG_FILE;
  if (file === undefined || file === "") return { ok: true, value: undefined };
  const flag = env.SAMPLE_FLAG_KEY;
  if (flag === undefined || flag === "")
    return { ok: false, message: "SAMPLE_FLAG_KEY is required with SAMPLE_FLAG_FILE" };
  const reloadMs = Number(env.SAMPLE_FLAG_RELOAD_MS ?? 1000);
  if (!Number.isInteger(reloadMs) || reloadMs < 1) {
    return { ok: false, message: "SAMPLE_FLAG_RELOAD_MS must be a whole number of ms >= 1" };
  }
  const rates = errorRates(env.SAMPLE_FLAG_ERROR_RATES ?? "");
  if (typeof rates === "string") return { ok: false, message: rates };
  return { ok: true, value: { file, flag, reloadMs, errorRates: rates } };
}
