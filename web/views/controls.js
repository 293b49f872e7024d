// Halt, resume and rollback buttons. Each asks for a reason, then uses the
// tab's token, asking for one when there is none or the last one was refused.
// The answer (queued, or refused and why) is announced in a live region.

import { api, setToken, token } from "../api.js";
import { askReason, askToken } from "../dialogs.js";
import { h, replace } from "../dom.js";

const COMMANDS = [
  { name: "halt", label: "Halt", needsReason: true, when: (d) => ["pending", "running"].includes(d.status) },
  { name: "resume", label: "Resume", needsReason: false, when: (d) => d.status === "halted" },
  { name: "rollback", label: "Roll back", needsReason: true, when: (d) => ["running", "halted"].includes(d.status) },
];

/** The control bar for operation `id`; `refresh` reloads the view after a command is queued. */
export function controls(id, refresh) {
  let refused = false;
  const status = h("p", { class: "command-status", role: "status", "aria-live": "polite", id: "command-status" });
  const buttons = COMMANDS.map((command) =>
    h(
      "button",
      {
        type: "button",
        class: `command ${command.name}`,
        dataset: { command: command.name },
        onclick: () => run(command),
      },
      command.label,
    ),
  );

  async function run(command) {
    const reason = await askReason(command.name, command.needsReason);
    if (reason === null) return;
    if (token() === "" || refused) {
      const value = await askToken(`${command.label} needs the admin token.`);
      if (value === null) return;
      setToken(value);
    }
    try {
      await api(`/api/v1/operations/${encodeURIComponent(id)}/${command.name}`, {
        method: "POST",
        body: reason === "" ? {} : { reason },
      });
      refused = false;
      replace(
        status,
        h("span", { class: "ok" }, `${command.label} queued; the controller applies it on its next tick.`),
      );
      refresh();
    } catch (error) {
      refused = error.status === 401 || error.status === 403;
      replace(status, h("span", { class: "error", role: "alert" }, `${command.label} refused: ${error.message}`));
    }
  }

  const bar = h("div", { class: "controls" }, buttons, status);
  return {
    el: bar,
    /** Enables the buttons that apply to the operation's status. */
    update(detail) {
      COMMANDS.forEach((command, i) => {
        buttons[i].disabled = !command.when(detail);
      });
    },
  };
}
