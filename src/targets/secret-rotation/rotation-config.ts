/**
 * Schemas of the `secret-rotation` target (alternating users): its config
 * and its actions `rotate` and `revoke`. Parsed output is valid input again.
 */
import { z } from "zod";
import { durationSchema } from "../../plan/duration.ts";
import { isPostgresUrl } from "../../sensors/postgres/pg-connection.ts";
import { argvSchema } from "../../util/argv-schema.ts";

const roleName = z.string().regex(/^[a-z_][a-z0-9_]*$/, { error: "expected a lower-case role name" });

const publisherSchema = z.discriminatedUnion("kind", [
  /** A JSON credential file, replaced atomically (temp file + rename), mode 0600. Relative to the plan. */
  z.strictObject({ kind: z.literal("file"), path: z.string().min(1) }),
  /** A program given the JSON credential on stdin (never in argv or env). Exit 0 = published. */
  z.strictObject({ kind: z.literal("command"), argv: argvSchema, timeout: durationSchema(true).default("30s") }),
  /** POST of the JSON credential; any 2xx = published. Header values may hold `${ENV}` references. */
  z.strictObject({
    kind: z.literal("webhook"),
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), z.string()).default({}),
    timeout: durationSchema(true).default("10s"),
  }),
]);

/** Config of a `secret-rotation` target (after parsing: defaults filled in). */
export const rotationConfigSchema = z.strictObject({
  /** Admin URL (a role with CREATEROLE); `${PGPASSWORD_X}` references come from the environment. */
  connection: z.string().refine(isPostgresUrl, { error: "expected a postgres://user@host:port/db URL" }),
  /** The two alternating roles; the first is taken as active before the first rotation. */
  roles: z.tuple([roleName, roleName]).refine(([a, b]) => a !== b, { error: "the two roles must differ" }),
  /** Every consumer of the credential, by the `application_name` its sessions set. */
  consumers: z
    .array(z.strictObject({ name: z.string().min(1), applicationName: z.string().min(1) }))
    .min(1)
    .refine((consumers) => new Set(consumers.map((c) => c.name)).size === consumers.length, {
      error: "consumer names must be unique",
    }),
  publisher: publisherSchema,
  /** `nologin`: `ALTER ROLE old NOLOGIN` (reversible). `scramble`: a fresh random verifier nobody knows (one-way). */
  revoke: z.enum(["nologin", "scramble"]).default("nologin"),
  /** Consecutive samples with no session on the old role before the adoption gate holds. */
  stableSamples: z.number().int().min(1).default(3),
  /** Table holding which role is active (never a secret: only a fingerprint). */
  stateTable: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/)
    .default("airlock_secret_rotation"),
  sensorTimeout: durationSchema(true).default("5s"),
});

/** Parsed target config. */
export type RotationConfig = z.infer<typeof rotationConfigSchema>;
/** One publisher's config. */
export type PublisherConfig = RotationConfig["publisher"];

/** `rotate` and `revoke` take no params: the target's state says which role is idle or old. */
export const rotationActionSchemas = {
  rotate: z.strictObject({}),
  revoke: z.strictObject({}),
} as const;
