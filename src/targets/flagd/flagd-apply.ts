/**
 * Applying and observing flag actions on the flag file. Every write is a new
 * revision stamped in the flag's metadata, written atomically. Idempotent:
 * a file already stamped with the request's key is left alone. Fenced: a
 * token older than the one the operation last wrote with is refused.
 */
import type { ActionRequest, Json, Observation, TargetResult } from "../target.ts";
import {
  type AirlockStamp,
  type FlagFile,
  type FlagFileResult,
  readFlagFile,
  replaceFile,
  splitTargeting,
  stampedDocument,
  targetingSha,
} from "./flag-file.ts";
import type { FlagdAction, FlagdConfig } from "./flagd-config.ts";

type Failure = Extract<TargetResult<never>, { ok: false }>;

function failure(code: string, message: string, retryable: boolean): Failure {
  return { ok: false, code, message, retryable };
}

/** The percent of a targeting this target wrote, or `null` for any other rule. Pure. */
export function splitPercent(targeting: Json | undefined, newVariant: string): number | null {
  if (typeof targeting !== "object" || targeting === null || Array.isArray(targeting)) return null;
  const fractional = (targeting as { readonly [key: string]: Json }).fractional;
  if (!Array.isArray(fractional)) return null;
  let total = 0;
  let share = 0;
  for (const bucket of fractional) {
    if (!Array.isArray(bucket) || typeof bucket[1] !== "number") continue;
    total += bucket[1];
    if (bucket[0] === newVariant) share += bucket[1];
  }
  return total === 0 ? null : Math.round((share / total) * 100_000) / 1000;
}

function summary(file: FlagFile, config: FlagdConfig): Json {
  return {
    flag: config.flag,
    revision: file.stamp?.revision ?? 0,
    percent: splitPercent(file.flag.targeting, config.variants.new),
    key: file.stamp?.key ?? null,
  };
}

/** A hand edit of the targeting since `stamp` was written (operation-independent). Pure. */
export function handEdit(file: FlagFile, config: FlagdConfig): string | undefined {
  const stamp = file.stamp;
  if (stamp === undefined || stamp.targetingSha === targetingSha(file.flag.targeting)) return undefined;
  return `the targeting of flag ${config.flag} was changed outside Airlock after revision ${stamp.revision}`;
}

function unusable(read: Extract<FlagFileResult, { ok: false }>, what: string): Failure {
  return failure(read.code === "missing" ? "missing" : "malformed-flag-file", `${what}: ${read.message}`, false);
}

/** The targeting an action writes, given the file and whether the stamp is this operation's. */
function targetingFor(action: FlagdAction, file: FlagFile, config: FlagdConfig, ours: boolean): Json | Failure {
  if (action.type === "split") return splitTargeting(action.percent, config.variants);
  if (!ours || file.stamp === undefined) return file.flag.targeting ?? null;
  try {
    return JSON.parse(file.stamp.baseline) as Json;
  } catch {
    return failure("malformed-flag-file", `airlockBaseline of flag ${config.flag} is not JSON`, false);
  }
}

function isFailure(value: Json | Failure): value is Failure {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "ok" in value && value.ok === false;
}

/**
 * Applies a `split` (the new fractional split) or a `restore` (the targeting
 * from before this operation's first write) as a new revision. A malformed
 * file, a missing flag or a hand edit of the targeting during the operation
 * fail without retry; a concurrent write is retried.
 */
export async function applyFlagAction(
  path: string,
  config: FlagdConfig,
  action: FlagdAction,
  request: ActionRequest,
): Promise<TargetResult<Observation>> {
  const read = await readFlagFile(path, config.flag, config.variants);
  if (!read.ok) return unusable(read, `${action.type} refused`);
  const file = read.file;
  const stamp = file.stamp;
  const done = (f: FlagFile): TargetResult<Observation> => ({
    ok: true,
    value: { observedAtMs: Date.now(), state: summary(f, config), matches: true },
  });
  if (stamp?.key === request.idempotencyKey) return done(file);
  const ours = stamp?.operation === request.operationId;
  if (ours && stamp !== undefined && stamp.fence > request.fencingToken) {
    return failure("fenced", `fencing token ${request.fencingToken} is older than ${stamp.fence}`, false);
  }
  const edited = ours ? handEdit(file, config) : undefined;
  if (edited !== undefined && !request.rollback) return failure("drift", edited, false);
  const targeting = targetingFor(action, file, config, ours);
  if (isFailure(targeting)) return targeting;
  const next: AirlockStamp = {
    revision: (stamp?.revision ?? 0) + 1,
    key: request.idempotencyKey,
    operation: request.operationId,
    fence: Math.max(ours ? (stamp?.fence ?? 0) : 0, request.fencingToken),
    targetingSha: targetingSha(targeting),
    baseline: ours && stamp !== undefined ? stamp.baseline : JSON.stringify(file.flag.targeting ?? null),
  };
  if (request.signal.aborted) return failure("aborted", "aborted before the write", true);
  const document = stampedDocument(file, config.flag, targeting, next);
  const text = `${JSON.stringify(document, null, 2)}\n`;
  const written = await replaceFile(path, file.text, text);
  if (!written.ok) return failure(written.code, `${action.type}: ${written.message}`, true);
  const flags = document.flags as { readonly [key: string]: { readonly [key: string]: Json } };
  return done({ text, document, flag: flags[config.flag] ?? {}, stamp: next });
}

/**
 * Reads the file back. `matches`: the file carries `expected`'s stamp. A
 * malformed or missing file, or a hand edit of the targeting during
 * `expected`'s operation, is reported as drift. No side effects.
 */
export async function observeFlag(
  path: string,
  config: FlagdConfig,
  expected: ActionRequest | undefined,
): Promise<TargetResult<Observation>> {
  const observedAtMs = Date.now();
  const read = await readFlagFile(path, config.flag, config.variants);
  if (!read.ok) {
    return {
      ok: true,
      value: { observedAtMs, state: { flag: config.flag, error: read.code }, matches: false, drift: read.message },
    };
  }
  const file = read.file;
  const matches = expected === undefined ? "unknown" : file.stamp?.key === expected.idempotencyKey;
  const edited = file.stamp?.operation === expected?.operationId ? handEdit(file, config) : undefined;
  return {
    ok: true,
    value: { observedAtMs, state: summary(file, config), matches, ...(edited === undefined ? {} : { drift: edited }) },
  };
}
