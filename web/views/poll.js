// Runs `task` now and every `intervalMs` until `signal` aborts; a task that
// is still running is not started again.

export function poll(task, intervalMs, signal) {
  let running = false;
  const run = async () => {
    if (running || signal.aborted) return;
    running = true;
    try {
      await task();
    } finally {
      running = false;
    }
  };
  run();
  const timer = setInterval(run, intervalMs);
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  return run;
}
