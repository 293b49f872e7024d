/**
 * Where the CLI writes: injected so tests can capture output. Human text goes
 * to stdout on a TTY; in `--json` mode stdout carries only JSON lines.
 */

/** A sink for CLI output. */
export interface Output {
  /** Writes one line to stdout. */
  line(text: string): void;
  /** Writes one line to stderr. */
  error(text: string): void;
  /** Rewrites the live status line (TTY only; a no-op elsewhere). */
  status(text: string): void;
  readonly isTTY: boolean;
}

/** The process's stdout/stderr. */
export function processOutput(): Output {
  const isTTY = process.stdout.isTTY === true;
  let statusShown = false;
  const clearStatus = (): void => {
    if (statusShown) process.stdout.write("\r\x1b[2K");
    statusShown = false;
  };
  return {
    isTTY,
    line(text) {
      clearStatus();
      process.stdout.write(`${text}\n`);
    },
    error(text) {
      clearStatus();
      process.stderr.write(`${text}\n`);
    },
    status(text) {
      if (!isTTY) return;
      const width = process.stdout.columns ?? 120;
      process.stdout.write(`\r\x1b[2K${text.slice(0, Math.max(20, width - 1))}`);
      statusShown = true;
    },
  };
}
