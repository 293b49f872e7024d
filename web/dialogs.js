// Modal questions: the API token and a command's reason. Each resolves with
// the answer, or null when cancelled (Escape or Cancel).

function ask(dialog, form, input, cancel) {
  return new Promise((resolve) => {
    const finish = (value) => {
      form.removeEventListener("submit", onSubmit);
      cancel.removeEventListener("click", onCancel);
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const onSubmit = (event) => {
      event.preventDefault();
      finish(input.value);
    };
    const onCancel = (event) => {
      event.preventDefault();
      finish(null);
    };
    form.addEventListener("submit", onSubmit);
    cancel.addEventListener("click", onCancel);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    input.focus();
  });
}

/** Asks for a token, explaining why; resolves with it or null. */
export function askToken(why) {
  const input = document.getElementById("token-input");
  input.value = "";
  document.getElementById("token-why").textContent = why;
  return ask(
    document.getElementById("token-dialog"),
    document.getElementById("token-form"),
    input,
    document.getElementById("token-cancel"),
  );
}

/** Asks for the reason of `command`; `required` refuses an empty one. Resolves with it or null. */
export function askReason(command, required) {
  const input = document.getElementById("reason-input");
  input.value = "";
  input.required = required;
  document.getElementById("reason-title").textContent = `${command[0].toUpperCase()}${command.slice(1)}: reason`;
  document.getElementById("reason-submit").textContent = command[0].toUpperCase() + command.slice(1);
  return ask(
    document.getElementById("reason-dialog"),
    document.getElementById("reason-form"),
    input,
    document.getElementById("reason-cancel"),
  );
}
