/**
 * Which role is active, stored in a small table beside the roles. Never a
 * secret: only the new password's fingerprint. One row per role pair.
 */
import type pg from "pg";
import { quoteTable } from "../../sensors/postgres/pg-connection.ts";

/** The stored state of a role pair. */
export interface RotationState {
  readonly activeRole: string;
  /** The role consumers are leaving (revoked by `revoke`); null before the first rotation. */
  readonly previousRole: string | null;
  readonly rotateKey: string | null;
  /** `pending`: the idle role has a new password not yet (fully) published. */
  readonly rotateStatus: "pending" | "published" | null;
  readonly fingerprint: string | null;
  readonly revokeKey: string | null;
  readonly fencingToken: number;
}

/** The state before any rotation: the first role is taken as active. Pure. */
export function initialState(roles: readonly [string, string]): RotationState {
  return {
    activeRole: roles[0],
    previousRole: null,
    rotateKey: null,
    rotateStatus: null,
    fingerprint: null,
    revokeKey: null,
    fencingToken: 0,
  };
}

/** The pair's key in the table, e.g. `app_blue/app_green`. Pure. */
export function pairKey(roles: readonly [string, string]): string {
  return roles.join("/");
}

/** SQL creating the table if missing. Idempotent. */
export function createStateSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteTable(table)} (
  role_pair text PRIMARY KEY,
  active_role text NOT NULL,
  previous_role text,
  rotate_key text,
  rotate_status text,
  fingerprint text,
  revoke_key text,
  fencing_token bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
)`;
}

/** SQL selecting the pair's row, columns named as {@link RotationState}. */
export function selectStateSql(table: string): string {
  return `SELECT active_role AS "activeRole", previous_role AS "previousRole", rotate_key AS "rotateKey",
    rotate_status AS "rotateStatus", fingerprint, revoke_key AS "revokeKey", fencing_token::float8 AS "fencingToken"
    FROM ${quoteTable(table)} WHERE role_pair = $1`;
}

/** Reads the pair's state (the initial state when it has no row). */
export async function loadState(
  client: pg.ClientBase,
  table: string,
  roles: readonly [string, string],
): Promise<RotationState> {
  const result = await client.query<RotationState>(selectStateSql(table), [pairKey(roles)]);
  return result.rows[0] ?? initialState(roles);
}

/** Writes the pair's whole state. Idempotent. */
export async function saveState(
  client: pg.ClientBase,
  table: string,
  roles: readonly [string, string],
  state: RotationState,
): Promise<void> {
  await client.query(
    `INSERT INTO ${quoteTable(table)} (role_pair, active_role, previous_role, rotate_key, rotate_status, fingerprint, revoke_key, fencing_token)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (role_pair) DO UPDATE SET active_role = $2, previous_role = $3, rotate_key = $4, rotate_status = $5,
       fingerprint = $6, revoke_key = $7, fencing_token = $8, updated_at = now()`,
    [
      pairKey(roles),
      state.activeRole,
      state.previousRole,
      state.rotateKey,
      state.rotateStatus,
      state.fingerprint,
      state.revokeKey,
      state.fencingToken,
    ],
  );
}
