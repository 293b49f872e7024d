/**
 * The benchmark's chart as a hand-written SVG: one row per strategy, error
 * rate (% of requests failed per second) on the left and application DB
 * connections on the right, with the database's limit drawn dashed. Pure.
 */
import type { SeriesPoint } from "./run-record.ts";

/** One row of the chart. */
export interface ChartRow {
  readonly label: string;
  readonly series: readonly SeriesPoint[];
}

/** What to draw. */
export interface ChartInput {
  readonly title: string;
  readonly rows: readonly ChartRow[];
  /** Connections the application may open (the dashed line). */
  readonly connectionLimit: number;
}

const WIDTH = 920;
const ROW_HEIGHT = 120;
const TOP = 40;
const PANEL_WIDTH = 380;
const PANEL_HEIGHT = 80;
const LEFT = [110, 520];

const escapeXml = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

function rate(point: SeriesPoint): number {
  return point.requests === 0 ? 0 : point.failed / point.requests;
}

function polyline(points: readonly [number, number][], color: string): string {
  const coords = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
  return `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${coords}"/>`;
}

/** The SVG text. */
export function renderChart(input: ChartInput): string {
  const seconds = Math.max(1, ...input.rows.map((row) => row.series.length));
  const maxConnections = Math.max(
    input.connectionLimit,
    ...input.rows.flatMap((row) => row.series.map((p) => p.dbConnections)),
  );
  const maxRate = Math.max(0, ...input.rows.flatMap((row) => row.series.map((p) => rate(p))));
  const rateScale = Math.min(1, Math.max(0.1, Math.ceil(maxRate * 10) / 10));
  const height = TOP + input.rows.length * ROW_HEIGHT + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(input.title)}</text>`,
  ];
  input.rows.forEach((row, r) => {
    const top = TOP + r * ROW_HEIGHT;
    const x = (left: number, t: number): number => left + (t / seconds) * PANEL_WIDTH;
    const y = (fraction: number): number => top + PANEL_HEIGHT - Math.min(1, fraction) * PANEL_HEIGHT;
    parts.push(`<text x="10" y="${top + PANEL_HEIGHT / 2}">${escapeXml(row.label)}</text>`);
    for (const left of LEFT)
      parts.push(
        `<rect x="${left}" y="${top}" width="${PANEL_WIDTH}" height="${PANEL_HEIGHT}" fill="none" stroke="#bbb"/>`,
      );
    const errorRate = row.series.map((p): [number, number] => [x(LEFT[0] ?? 0, p.tS), y(rate(p) / rateScale)]);
    const connections = row.series.map((p): [number, number] => [
      x(LEFT[1] ?? 0, p.tS),
      y(p.dbConnections / maxConnections),
    ]);
    parts.push(polyline(errorRate, "#c0392b"), polyline(connections, "#2c6fbb"));
    const limitY = y(input.connectionLimit / maxConnections).toFixed(1);
    parts.push(
      `<line x1="${LEFT[1]}" x2="${(LEFT[1] ?? 0) + PANEL_WIDTH}" y1="${limitY}" y2="${limitY}" stroke="#555" stroke-dasharray="4 3"/>`,
      `<text x="${(LEFT[0] ?? 0) - 4}" y="${top + 9}" text-anchor="end">${Math.round(rateScale * 100)}%</text>`,
      `<text x="${(LEFT[0] ?? 0) - 4}" y="${top + PANEL_HEIGHT}" text-anchor="end">0</text>`,
      `<text x="${(LEFT[1] ?? 0) - 4}" y="${top + 9}" text-anchor="end">${maxConnections}</text>`,
      `<text x="${(LEFT[1] ?? 0) - 4}" y="${top + PANEL_HEIGHT}" text-anchor="end">0</text>`,
    );
  });
  const bottom = TOP + input.rows.length * ROW_HEIGHT + 5;
  parts.push(
    `<text x="${(LEFT[0] ?? 0) + PANEL_WIDTH / 2}" y="${bottom}" text-anchor="middle" fill="#c0392b">failed requests per second (% of requests), 0–${seconds} s from the rollout's start</text>`,
    `<text x="${(LEFT[1] ?? 0) + PANEL_WIDTH / 2}" y="${bottom}" text-anchor="middle" fill="#2c6fbb">application DB connections (dashed: the database's limit ${input.connectionLimit})</text>`,
    "</svg>",
  );
  return `${parts.join("\n")}\n`;
}
