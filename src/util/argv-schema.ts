import { z } from "zod";

/** A command as an argv array (no shell): a non-empty program, then its arguments (which may be empty strings). */
export const argvSchema = z
  .array(z.string())
  .min(1)
  .refine((argv) => argv[0] !== "", { message: "the program (first element) must not be empty" });
