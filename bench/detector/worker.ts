/** Worker thread of the detector benchmark: runs one chunk of operations per message. */
import { parentPort } from "node:worker_threads";
import { scenarios } from "./scenarios.ts";
import { simulate } from "./simulate.ts";

/** A chunk of work. */
export interface Chunk {
  readonly key: string;
  readonly scale: number;
  readonly first: number;
  readonly count: number;
  readonly ticks: number;
}

parentPort?.on("message", (chunk: Chunk) => {
  const scenario = scenarios(chunk.scale).find((s) => s.key === chunk.key);
  if (scenario === undefined) throw new Error(`unknown scenario ${chunk.key}`);
  parentPort?.postMessage({ key: chunk.key, tallies: simulate(scenario, chunk.first, chunk.count, chunk.ticks) });
});
