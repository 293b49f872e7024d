// Line charts with uPlot: the gate sensors (drain curves) and per-node error
// rates. A chart is rebuilt only when its series change; otherwise its data
// is replaced in place.

import uPlot from "/vendor/uplot/uPlot.esm.js";
import { h } from "../dom.js";

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

/** A chart slot that keeps its uPlot instance across updates. */
export class Chart {
  constructor(title, yLabel, format) {
    this.title = title;
    this.yLabel = yLabel;
    this.format = format;
    this.plot = null;
    this.key = "";
    this.el = h("figure", { class: "chart" }, h("figcaption", {}, title));
    this.body = h("div", { class: "chart-body" });
    this.empty = h("p", { class: "muted" }, "No data yet (live telemetry exists for operations this server runs).");
    this.el.append(this.body, this.empty);
  }

  /** Shows `series` ([{ label, values }]) over `timesMs`. */
  update(timesMs, series) {
    const hasData = timesMs.length > 1 && series.length > 0;
    this.empty.hidden = hasData;
    this.body.hidden = !hasData;
    if (!hasData) return;
    const data = [timesMs.map((t) => t / 1000), ...series.map((s) => s.values)];
    const key = series.map((s) => s.label).join("\u0000");
    if (this.plot !== null && key === this.key) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.key = key;
    const width = Math.max(320, this.el.clientWidth - 16);
    this.plot = new uPlot(
      {
        width,
        height: 220,
        scales: { x: { time: true } },
        axes: [{}, { label: this.yLabel, values: (_u, ticks) => ticks.map(this.format), size: 60 }],
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            spanGaps: false,
            value: (_u, v) => (v === null || v === undefined ? "–" : this.format(v)),
          })),
        ],
      },
      data,
      this.body,
    );
  }
}
