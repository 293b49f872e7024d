import { describe, expect, it } from "vitest";
import { fingerprint, otherRole } from "./rotation-actions.ts";
import { rotationConfigSchema } from "./rotation-config.ts";
import { secretRotationTarget } from "./secret-rotation.ts";

const raw = {
  connection: `postgres://airlock:\${PGPASSWORD_ADMIN}@db.internal:5432/shop`,
  roles: ["app_blue", "app_green"],
  consumers: [
    { name: "billing", applicationName: "billing" },
    { name: "orders", applicationName: "orders-api" },
  ],
  publisher: { kind: "file", path: "/run/secrets/shop-db.json" },
};
const config = rotationConfigSchema.parse(raw);
const rotate = { type: "rotate", params: {} };
const revoke = { type: "revoke", params: {} };

describe("secret-rotation definition", () => {
  it("fills defaults (revoke by NOLOGIN, 3 stable samples) and re-parses its own output", () => {
    expect(config).toMatchObject({ revoke: "nologin", stableSamples: 3, stateTable: "airlock_secret_rotation" });
    expect(rotationConfigSchema.parse(config)).toEqual(config);
  });

  it("refuses a pair of identical roles and duplicate consumer names", () => {
    expect(rotationConfigSchema.safeParse({ ...raw, roles: ["app", "app"] }).success).toBe(false);
    const twice = [raw.consumers[0], raw.consumers[0]];
    expect(rotationConfigSchema.safeParse({ ...raw, consumers: twice }).success).toBe(false);
  });

  it("claims the role pair on its database", () => {
    expect(secretRotationTarget.claims(config)).toEqual(["postgres-roles:db.internal:5432/shop#app_blue/app_green"]);
  });

  it("gates rotate on adoption by every consumer, no old-role session N times in a row, and every consumer's ack", () => {
    const gates = secretRotationTarget.defaultGates(rotate, config);
    expect(gates.conditions?.adopted).toEqual([
      expect.objectContaining({
        sensor: "target.consumers_on_new_role",
        aggregate: "every",
        op: ">=",
        threshold: 1,
        expectNodes: ["billing", "orders"],
      }),
      expect.objectContaining({ sensor: "target.old_role_sessions", op: "<=", threshold: 0, consecutive: 3 }),
    ]);
    expect(gates.confirmedBy).toEqual(["billing", "orders"]);
    expect(secretRotationTarget.defaultGates(revoke, config)).toEqual({});
  });

  it("rolls back by replaying newest first, and stops before a scrambled revoke", () => {
    expect(secretRotationTarget.rollback([rotate, revoke], config).steps.map((s) => s.action)).toEqual([
      revoke,
      rotate,
    ]);
    const scrambled = rotationConfigSchema.parse({ ...raw, revoke: "scramble" });
    const plan = secretRotationTarget.rollback([rotate, revoke], scrambled);
    expect(plan.steps).toEqual([]);
    expect(plan.stopsAt).toContain("one-way");
  });

  it("fingerprints a secret without revealing it, and alternates roles", () => {
    expect(fingerprint("s3cret-value")).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(fingerprint("s3cret-value")).not.toContain("s3cret");
    expect(otherRole(["a", "b"], "a")).toBe("b");
    expect(otherRole(["a", "b"], "b")).toBe("a");
  });
});
