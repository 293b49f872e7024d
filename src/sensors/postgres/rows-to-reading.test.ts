import { describe, expect, it } from "vitest";
import { rowsToReading } from "./rows-to-reading.ts";

const at = 1_000;

describe("rowsToReading", () => {
  it("reads one row of one column as a scalar, parsing bigint text", () => {
    expect(rowsToReading({ columns: ["headroom"], rows: [{ headroom: "37" }] }, {}, at)).toEqual({
      ok: true,
      observedAtMs: at,
      value: { type: "scalar", value: 37 },
    });
  });

  it("treats no rows as an error, never as zero", () => {
    const reading = rowsToReading({ columns: ["n"], rows: [] }, {}, at);
    expect(reading).toMatchObject({ ok: false, code: "empty" });
  });

  it("refuses several rows, several columns, or a null value for a scalar", () => {
    expect(rowsToReading({ columns: ["n"], rows: [{ n: 1 }, { n: 2 }] }, {}, at)).toMatchObject({ code: "parse" });
    expect(rowsToReading({ columns: ["a", "b"], rows: [{ a: 1, b: 2 }] }, {}, at)).toMatchObject({ code: "parse" });
    expect(rowsToReading({ columns: ["n"], rows: [{ n: null }] }, {}, at)).toMatchObject({ code: "parse" });
  });

  it("keys a vector by the node column", () => {
    const rows = [
      { app: "shop@v41", sessions: "3" },
      { app: "shop@v42", sessions: "0" },
    ];
    expect(rowsToReading({ columns: ["app", "sessions"], rows }, { nodeColumn: "app" }, at)).toMatchObject({
      ok: true,
      value: { type: "vector", values: { "shop@v41": 3, "shop@v42": 0 } },
    });
  });

  it("uses the named value column when there are several", () => {
    const rows = [{ node: "a", x: 1, y: 2 }];
    const reading = rowsToReading({ columns: ["node", "x", "y"], rows }, { nodeColumn: "node", valueColumn: "y" }, at);
    expect(reading).toMatchObject({ ok: true, value: { values: { a: 2 } } });
  });

  it("refuses duplicate or missing node names and unknown columns", () => {
    const columns = ["node", "v"];
    const shape = { nodeColumn: "node" };
    const duplicate = [
      { node: "a", v: 1 },
      { node: "a", v: 2 },
    ];
    expect(rowsToReading({ columns, rows: duplicate }, shape, at)).toMatchObject({ code: "parse" });
    expect(rowsToReading({ columns, rows: [{ node: null, v: 1 }] }, shape, at)).toMatchObject({ code: "parse" });
    expect(rowsToReading({ columns, rows: [{ node: "a", v: 1 }] }, { nodeColumn: "host" }, at)).toMatchObject({
      code: "parse",
    });
  });
});
