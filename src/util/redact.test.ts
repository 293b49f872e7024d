import { describe, expect, it } from "vitest";
import { expandEnvRefs } from "./expand-env-refs.ts";
import { describeUrl, lastLine, redact, secretEnvValues, truncate } from "./redact.ts";

describe("redaction", () => {
  it("replaces secret values and bearer credentials", () => {
    expect(redact("login as app with pw-12345 (Bearer abc.def)", ["pw-12345"])).toBe(
      "login as app with *** (Bearer ***)",
    );
  });

  it("treats values of secret-looking environment variables as secrets", () => {
    const env = { API_TOKEN: "t0k3n-value", DB_PASSWORD: "pw-12345", HOME: "/root", SHORT_TOKEN: "1" };
    expect(secretEnvValues(env).sort()).toEqual(["pw-12345", "t0k3n-value"]);
  });

  it("keeps the last non-empty line, truncated", () => {
    expect(truncate(lastLine("first\nsecond line\n\n"), 8)).toBe("second …");
  });

  it("describes a URL without userinfo or query", () => {
    expect(describeUrl("https://user:pw@example.test:8443/hook?token=abc#x")).toBe("https://example.test:8443/hook");
  });
});

describe("environment references", () => {
  it(`expands \${NAME} and reports the substituted values as secrets`, () => {
    const expanded = expandEnvRefs({ Authorization: `Bearer \${TOKEN}`, Accept: "json" }, { TOKEN: "t0k3n" });
    expect(expanded).toEqual({
      ok: true,
      value: { Authorization: "Bearer t0k3n", Accept: "json" },
      secrets: ["t0k3n"],
    });
  });

  it("names an unset variable without echoing any value", () => {
    expect(expandEnvRefs({ Authorization: `Bearer \${MISSING}` }, {})).toEqual({
      ok: false,
      message: "Authorization references unset environment variable MISSING",
    });
  });
});
