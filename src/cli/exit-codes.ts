/** Exit codes for CI, as documented in the README. */
export const ExitCode = {
  completed: 0,
  other: 1,
  invalid: 2,
  halted: 3,
  rolledBack: 4,
  preflightFailed: 5,
  interrupted: 130,
} as const;

/** One of {@link ExitCode}'s values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A usage or input error that the CLI reports in one line and exits 2 for. */
export class UsageError extends Error {
  /** @param message what was wrong and where */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
