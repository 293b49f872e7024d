// The stage timeline, drawn as airlock doors: open while the stage's action
// is in transition, sealing while its gates are evaluated, sealed once they
// hold; queued, pending, or halted (red) otherwise.

import { duration, h } from "../dom.js";

const DOOR_TEXT = {
  pending: "not reached",
  queued: "queued",
  open: "open — action in transition",
  sealing: "sealing — waiting for gates",
  sealed: "sealed",
  halted: "halted",
};

function actionText(action) {
  const params = Object.entries(action.params ?? {})
    .map(([k, v]) => `${k} ${typeof v === "object" ? JSON.stringify(v) : v}`)
    .join(", ");
  return params === "" ? action.type : `${action.type}: ${params}`;
}

function door(stage, total, track) {
  const timing =
    stage.sealedAtMs !== undefined && stage.startedAtMs !== undefined
      ? `sealed after ${duration(stage.sealedAtMs - stage.startedAtMs)}`
      : stage.appliedAtMs !== undefined
        ? `applied, ${duration(Date.now() - stage.appliedAtMs)} ago`
        : "";
  return h(
    "li",
    { class: "door", dataset: { door: stage.door, stage: stage.name, track } },
    h(
      "div",
      { class: "frame", "aria-hidden": "true" },
      h("div", { class: "panel left" }),
      h("div", { class: "panel right" }),
      h("div", { class: "lamp" }),
    ),
    h(
      "div",
      { class: "caption" },
      h("div", { class: "stage-name" }, `${stage.index + 1}/${total} ${stage.name}`),
      h("div", { class: "action" }, actionText(stage.action)),
      h("div", { class: "door-state" }, DOOR_TEXT[stage.door] ?? stage.door),
      timing === "" ? null : h("div", { class: "muted small" }, timing),
    ),
  );
}

/** The timeline of forward stages, and of the rollback when there is one. */
export function timeline(detail) {
  const rows = [
    h("h2", { id: "stages-title" }, "Stages"),
    h(
      "ol",
      { class: "doors", "aria-labelledby": "stages-title" },
      detail.stages.map((s) => door(s, detail.stages.length, "forward")),
    ),
  ];
  if (detail.rollback !== undefined) {
    rows.push(
      h("h2", { id: "rollback-title" }, "Rollback"),
      h(
        "ol",
        { class: "doors rollback", "aria-labelledby": "rollback-title" },
        detail.rollback.steps.map((s) => door(s, detail.rollback.steps.length, "rollback")),
      ),
    );
  }
  return rows;
}
