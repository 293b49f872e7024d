import { describe, expect, it } from "vitest";
import { concurrentIndexNames, splitStatements } from "./split-statements.ts";

describe("splitStatements", () => {
  it("splits on top-level semicolons and drops comments and empty statements", () => {
    const sql = "-- add index\nCREATE INDEX CONCURRENTLY a ON t (x);\n/* two /* nested */ */ ANALYZE t;;\n";
    expect(splitStatements(sql)).toEqual(["CREATE INDEX CONCURRENTLY a ON t (x)", "ANALYZE t"]);
  });

  it("keeps semicolons inside quotes, identifiers and dollar quotes", () => {
    const sql = `SELECT 'a;b', "c;d", E'e\\';f'; DO $body$ BEGIN PERFORM 1; END $body$; SELECT $$;$$`;
    expect(splitStatements(sql)).toEqual([
      `SELECT 'a;b', "c;d", E'e\\';f'`,
      "DO $body$ BEGIN PERFORM 1; END $body$",
      "SELECT $$;$$",
    ]);
  });

  it("does not take a positional parameter for a dollar quote", () => {
    expect(splitStatements("UPDATE t SET x = 1 WHERE id < $1; SELECT 2")).toEqual([
      "UPDATE t SET x = 1 WHERE id < $1",
      "SELECT 2",
    ]);
  });
});

describe("concurrentIndexNames", () => {
  it("names indexes created concurrently, with or without IF NOT EXISTS", () => {
    expect(
      concurrentIndexNames([
        "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_ref ON orders (ref)",
        'create index concurrently shop."Odd Name" on shop.t (x)',
        "CREATE INDEX plain ON t (x)",
      ]),
    ).toEqual(["orders_ref", 'shop."Odd Name"']);
  });
});
