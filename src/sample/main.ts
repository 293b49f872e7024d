/**
 * Process entry of the sample service: `tsx src/sample/main.ts --name v1-a --version 1.0.0`
 * (options in `sample-cli-options.ts`). Prints one JSON line
 * `{"event":"sample-started","url":...,"name":...,"version":...,"pid":...}` when ready;
 * on SIGTERM or SIGINT it quiesces, then closes.
 */
import { parseFlagOptions } from "./flags/flag-options.ts";
import { parseSampleArgs } from "./sample-cli-options.ts";
import { startSampleService } from "./sample-service.ts";

const parsed = parseSampleArgs(process.argv.slice(2), process.env);
if (!parsed.ok) {
  process.stderr.write(`sample: ${parsed.message}\n`);
  process.exit(2);
}
const flags = parseFlagOptions(process.env);
if (!flags.ok) {
  process.stderr.write(`sample: ${flags.message}\n`);
  process.exit(2);
}
try {
  const service = await startSampleService({
    ...parsed.value,
    ...(flags.value === undefined ? {} : { flags: flags.value }),
  });
  const { url, name, version } = service;
  process.stdout.write(`${JSON.stringify({ event: "sample-started", url, name, version, pid: process.pid })}\n`);
  const stop = (): void => {
    service.quiesce();
    void service.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} catch (error) {
  process.stderr.write(`sample: cannot start: ${(error as Error).message}\n`);
  process.exit(1);
}
