/**
 * The flagd flag definition file: reading it with flagd's own strict schema
 * validation (`@openfeature/flagd-core`), the revision stamp Airlock keeps in
 * the flag's `metadata`, the `fractional` split, and atomic writes.
 *
 * The stamp (flag metadata values must be strings, numbers or booleans):
 * `airlockRevision` (integer, +1 per write), `airlockKey` (the idempotency
 * key of the write), `airlockOperation`, `airlockFence` (highest fencing
 * token of that operation), `airlockTargetingSha` (sha256 of the targeting
 * written, to tell hand edits apart), and `airlockBaseline` (the targeting
 * before the operation's first write, as JSON, for rollback).
 */
import { createHash, randomUUID } from "node:crypto";
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Logger } from "@openfeature/core";
import { MemoryStorage } from "@openfeature/flagd-core";
import { truncate } from "../../util/redact.ts";
import type { Json } from "../target.ts";

/** The variants the rollout moves between. */
export interface RolloutVariants {
  readonly new: string;
  readonly old: string;
}

/** Airlock's stamp in a flag's metadata. */
export interface AirlockStamp {
  readonly revision: number;
  readonly key: string;
  readonly operation: string;
  readonly fence: number;
  readonly targetingSha: string;
  /** JSON of the targeting before `operation`'s first write (`null`: none). */
  readonly baseline: string;
}

/** A read, valid flag file. */
export interface FlagFile {
  /** The file's text, to detect a concurrent change before replacing it. */
  readonly text: string;
  readonly document: { readonly [key: string]: Json };
  /** The flag's definition object. */
  readonly flag: { readonly [key: string]: Json };
  /** Present once Airlock has written the flag. */
  readonly stamp?: AirlockStamp;
}

/** Why a flag file cannot be used: `missing`, `malformed` (JSON or flagd schema), `no-flag`, `no-variant`. */
export type FlagFileResult =
  | { readonly ok: true; readonly file: FlagFile }
  | { readonly ok: false; readonly code: "missing" | "malformed" | "no-flag" | "no-variant"; readonly message: string };

const SILENT: Logger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

function isObject(value: unknown): value is { readonly [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** sha256 (hex) of a targeting rule's JSON; `null` for none. Pure. */
export function targetingSha(targeting: Json | undefined): string {
  return createHash("sha256")
    .update(JSON.stringify(targeting ?? null))
    .digest("hex");
}

function stampOf(metadata: Json | undefined): AirlockStamp | undefined {
  if (!isObject(metadata)) return undefined;
  const { airlockRevision, airlockKey, airlockOperation, airlockFence, airlockTargetingSha, airlockBaseline } =
    metadata;
  if (typeof airlockRevision !== "number" || typeof airlockKey !== "string") return undefined;
  return {
    revision: airlockRevision,
    key: airlockKey,
    operation: typeof airlockOperation === "string" ? airlockOperation : "",
    fence: typeof airlockFence === "number" ? airlockFence : 0,
    targetingSha: typeof airlockTargetingSha === "string" ? airlockTargetingSha : "",
    baseline: typeof airlockBaseline === "string" ? airlockBaseline : "null",
  };
}

interface SchemaError {
  readonly instancePath?: string;
  readonly message?: string;
  readonly params?: {
    readonly allowedValues?: unknown[];
    readonly additionalProperty?: string;
    readonly missingProperty?: string;
  };
}

/** flagd-core's schema failure (a JSON list of ajv errors after a prefix) as one line per distinct error. Pure. */
function schemaErrors(message: string): string {
  let errors: unknown;
  try {
    errors = JSON.parse(message.slice(message.indexOf("[")));
  } catch {
    return message;
  }
  if (!Array.isArray(errors)) return message;
  const lines = new Set<string>();
  for (const error of errors as SchemaError[]) {
    const { allowedValues, additionalProperty, missingProperty } = error.params ?? {};
    const detail = allowedValues?.join(", ") ?? additionalProperty ?? missingProperty;
    lines.add(
      `${error.instancePath || "/"} ${error.message ?? "is invalid"}${detail === undefined ? "" : ` (${detail})`}`,
    );
  }
  const all = [...lines];
  return all.length <= 2 ? all.join("; ") : `${all.slice(0, 2).join("; ")} (+${all.length - 2} more)`;
}

/**
 * Validates flag file text the way flagd does, strictly (JSON, the flagd
 * schema, default variant among the variants, targeting that compiles), and
 * checks that `flagKey` exists with both rollout variants. Pure.
 */
export function parseFlagFile(text: string, flagKey: string, variants: RolloutVariants): FlagFileResult {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { ok: false, code: "malformed", message: `not valid JSON: ${(error as Error).message}` };
  }
  try {
    new MemoryStorage(SILENT).setConfigurations(text, true);
  } catch (error) {
    const cause = (error as Error).cause;
    const detail = cause instanceof Error ? cause.message : schemaErrors((error as Error).message);
    return { ok: false, code: "malformed", message: `not a valid flagd flag definition: ${truncate(detail, 400)}` };
  }
  if (!isObject(document) || !isObject(document.flags)) {
    return { ok: false, code: "malformed", message: "no flags object" };
  }
  const flag = document.flags[flagKey];
  if (!isObject(flag)) return { ok: false, code: "no-flag", message: `flag ${flagKey} is not in the file` };
  for (const variant of [variants.new, variants.old]) {
    if (!isObject(flag.variants) || !Object.hasOwn(flag.variants, variant)) {
      return { ok: false, code: "no-variant", message: `flag ${flagKey} has no variant ${JSON.stringify(variant)}` };
    }
  }
  const stamp = stampOf(flag.metadata);
  return { ok: true, file: { text, document, flag, ...(stamp === undefined ? {} : { stamp }) } };
}

/** Reads and validates the file at `path`. Never throws. */
export async function readFlagFile(path: string, flagKey: string, variants: RolloutVariants): Promise<FlagFileResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    return { ok: false, code: "missing", message: `cannot read the flag file (${code})` };
  }
  return parseFlagFile(text, flagKey, variants);
}

/**
 * The `fractional` targeting that serves `percent` of targeting keys the new
 * variant, bucketing by flag key + targeting key (flagd's own default, written
 * out). Integer weights: `[p, 100 - p]`, or thousandths for fractional percents. Pure.
 */
export function splitTargeting(percent: number, variants: RolloutVariants): Json {
  const scale = Number.isInteger(percent) ? 1 : 1000;
  const newWeight = Math.round(percent * scale);
  return {
    fractional: [
      { cat: [{ var: "$flagd.flagKey" }, { var: "targetingKey" }] },
      [variants.new, newWeight],
      [variants.old, 100 * scale - newWeight],
    ],
  };
}

/** The file's document with the flag's targeting replaced (`null`: removed) and its metadata stamped. Pure. */
export function stampedDocument(
  file: FlagFile,
  flagKey: string,
  targeting: Json,
  stamp: AirlockStamp,
): { readonly [key: string]: Json } {
  const { targeting: _old, ...rest } = file.flag;
  const metadata = isObject(file.flag.metadata) ? file.flag.metadata : {};
  const flag: { [key: string]: Json } = {
    ...rest,
    ...(targeting === null ? {} : { targeting }),
    metadata: {
      ...metadata,
      airlockRevision: stamp.revision,
      airlockKey: stamp.key,
      airlockOperation: stamp.operation,
      airlockFence: stamp.fence,
      airlockTargetingSha: stamp.targetingSha,
      airlockBaseline: stamp.baseline,
    },
  };
  const flags = isObject(file.document.flags) ? file.document.flags : {};
  return { ...file.document, flags: { ...flags, [flagKey]: flag } };
}

/** The outcome of {@link replaceFile}. */
export type ReplaceResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: "conflict" | "io"; readonly message: string };

/**
 * Replaces `path` atomically with `text` (temp file in the same directory,
 * fsync, rename, fsync of the directory), keeping the file's mode. Refuses
 * with `conflict` when the file no longer holds `expected` (someone wrote it
 * meanwhile). Readers see the old or the new file, never a partial one.
 */
export async function replaceFile(path: string, expected: string, text: string): Promise<ReplaceResult> {
  const temp = join(dirname(path), `.${basename(path)}.airlock-${randomUUID().slice(0, 8)}.tmp`);
  try {
    const { mode } = await stat(path);
    const handle = await open(temp, "wx", mode & 0o777);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    if ((await readFile(path, "utf8")) !== expected) {
      await rm(temp, { force: true });
      return { ok: false, code: "conflict", message: "the flag file changed while Airlock was writing it" };
    }
    await rename(temp, path);
    const directory = await open(dirname(path), "r");
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
    return { ok: true };
  } catch (error) {
    await rm(temp, { force: true });
    return {
      ok: false,
      code: "io",
      message: `cannot write the flag file (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    };
  }
}
