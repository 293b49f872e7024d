/**
 * The pure engine: `initialState`, `transition`, `sensorsToRead`, `explain`
 * (contract in `types.ts`, decisions in `docs/adr/0003-pure-engine.md`), plus
 * what the runner needs beyond the contract: whether a rollback hand-off is
 * pending after a restart, and whether to keep renewing the domain freeze.
 */
import { detector } from "../detect/detector.ts";
import { createEngine } from "./create-engine.ts";
import type { EngineApi } from "./types.ts";

export { holdsFreeze } from "./halt.ts";
export { rollbackRequested } from "./rollback.ts";

/** The engine with the real supercriticality detector. */
export const engine: EngineApi = createEngine(detector);
