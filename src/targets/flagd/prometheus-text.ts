/**
 * A small parser of the Prometheus text exposition format (version 0.0.4):
 * enough to read an evaluator's gauges and counters by name and labels.
 */

/** One sample line: `name{label="value",...} value [timestamp]`. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The sample value; `NaN` for `NaN`/`+Inf`-style values (callers treat them as malformed). */
  readonly value: number;
}

/** Parsed samples, or the first malformed line (1-based). */
export type ParsedMetrics =
  | { readonly ok: true; readonly samples: readonly MetricSample[] }
  | { readonly ok: false; readonly message: string };

const NAME = /^[A-Za-z_:][A-Za-z0-9_:]*/;
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const ESCAPES: Readonly<Record<string, string>> = { n: "\n", "\\": "\\", '"': '"' };

function parseLabels(text: string): { labels: Record<string, string>; rest: string } | undefined {
  const labels: Record<string, string> = {};
  let rest = text.trimStart();
  while (!rest.startsWith("}")) {
    const name = LABEL_NAME.exec(rest)?.[0];
    if (name === undefined) return undefined;
    rest = rest.slice(name.length).trimStart();
    if (!rest.startsWith('="')) return undefined;
    rest = rest.slice(2);
    let value = "";
    for (;;) {
      const char = rest[0];
      if (char === undefined) return undefined;
      rest = rest.slice(1);
      if (char === '"') break;
      if (char !== "\\") {
        value += char;
        continue;
      }
      const escaped = ESCAPES[rest[0] ?? ""];
      if (escaped === undefined) return undefined;
      value += escaped;
      rest = rest.slice(1);
    }
    labels[name] = value;
    rest = rest.trimStart();
    if (rest.startsWith(",")) rest = rest.slice(1).trimStart();
  }
  return { labels, rest: rest.slice(1) };
}

function parseLine(line: string): MetricSample | undefined {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) return undefined;
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    const parsed = parseLabels(rest.slice(1));
    if (parsed === undefined) return undefined;
    labels = parsed.labels;
    rest = parsed.rest;
  }
  const [valueText, timestamp, extra] = rest.trim().split(/\s+/);
  if (valueText === undefined || valueText === "" || extra !== undefined) return undefined;
  if (timestamp !== undefined && !/^-?\d+$/.test(timestamp)) return undefined;
  return { name, labels, value: Number(valueText) };
}

/** Parses exposition text; comments and blank lines are skipped. Pure. */
export function parsePrometheusText(text: string): ParsedMetrics {
  const samples: MetricSample[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const sample = parseLine(line);
    if (sample === undefined) return { ok: false, message: `malformed metrics line ${index + 1}` };
    samples.push(sample);
  }
  return { ok: true, samples };
}

/** The value of the one sample named `name` whose labels include `labels`, or `undefined`. Pure. */
export function sampleValue(
  samples: readonly MetricSample[],
  name: string,
  labels: Readonly<Record<string, string>>,
): number | undefined {
  const match = samples.find(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  return match?.value;
}
