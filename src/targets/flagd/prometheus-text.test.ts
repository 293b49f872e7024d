import { describe, expect, it } from "vitest";
import { parsePrometheusText, sampleValue } from "./prometheus-text.ts";

describe("parsePrometheusText", () => {
  it("reads samples with labels, escapes and timestamps, skipping comments", () => {
    const parsed = parsePrometheusText(
      [
        "# HELP sample_flag_revision The revision.",
        "# TYPE sample_flag_revision gauge",
        'sample_flag_revision{flag="checkout",instance="a"} 3',
        'sample_flag_requests_total{flag="checkout", variant="on",note="say \\"hi\\"\\n"} 12 1700000000000',
        "up 1",
        "",
      ].join("\n"),
    );
    expect(parsed).toEqual({
      ok: true,
      samples: [
        { name: "sample_flag_revision", labels: { flag: "checkout", instance: "a" }, value: 3 },
        {
          name: "sample_flag_requests_total",
          labels: { flag: "checkout", variant: "on", note: 'say "hi"\n' },
          value: 12,
        },
        { name: "up", labels: {}, value: 1 },
      ],
    });
  });

  it("finds a value by name and a subset of labels", () => {
    const parsed = parsePrometheusText('m{flag="a",variant="on"} 1\nm{flag="a",variant="off"} 2');
    const samples = parsed.ok ? parsed.samples : [];
    expect(sampleValue(samples, "m", { variant: "off" })).toBe(2);
    expect(sampleValue(samples, "m", { flag: "b" })).toBeUndefined();
  });

  it.each([['m{flag="a" 1'], ["m{flag=a} 1"], ["m"], ["m 1 2 3"], ['m{flag="\\x"} 1']])(
    "refuses the malformed line %j",
    (line) => {
      expect(parsePrometheusText(`ok 1\n${line}`)).toEqual({ ok: false, message: "malformed metrics line 2" });
    },
  );
});
