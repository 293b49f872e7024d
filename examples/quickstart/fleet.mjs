#!/usr/bin/env node
// A tiny simulated fleet for the quickstart, kept in a JSON file so that the
// plan's command target and command sensors see the same world. It needs
// nothing but Node. Legacy nodes run background jobs of 0.4-1.6 s; when a
// stage shifts traffic, the jobs already running on the legacy side are the
// displaced work the `drained` gate waits for.
//
//   node fleet.mjs apply            (command target; reads AIRLOCK_* and the action JSON on stdin)
//   node fleet.mjs observe          (observe protocol: {"applied": [keys]})
//   node fleet.mjs displaced-jobs   (sensor: legacy jobs started before the last shift, still running)
//   node fleet.mjs candidate-ready  (sensor: 1 when the candidate has booted)
//   node fleet.mjs error-rate       (sensor: the candidate's error rate, as a fraction)
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const stateFile =
  process.env.QUICKSTART_FLEET_FILE ??
  join(dirname(fileURLToPath(import.meta.url)), "..", "..", ".airlock", "quickstart-fleet.json");
const JOB_MS = [400, 700, 1000, 1300, 1600];
const BOOT_MS = 300;

function load() {
  try {
    return JSON.parse(readFileSync(stateFile, "utf8"));
  } catch {
    return { candidatePercent: 0, shiftedAtMs: 0, bootedAtMs: 0, applied: [] };
  }
}

function save(state) {
  mkdirSync(dirname(stateFile), { recursive: true });
  const tmp = `${stateFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, stateFile);
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

const state = load();
const now = Date.now();
switch (process.argv[2]) {
  case "apply": {
    const action = JSON.parse((await readStdin()) || "{}");
    const key = process.env.AIRLOCK_IDEMPOTENCY_KEY ?? "";
    if (state.applied.includes(key)) break; // already applied under this key: idempotent
    const percent = Number(action.params?.candidatePercent ?? action.candidatePercent ?? 0);
    if (state.candidatePercent === 0 && percent > 0) state.bootedAtMs = now;
    state.candidatePercent = percent;
    state.shiftedAtMs = now;
    state.applied = [...state.applied.slice(-50), key];
    save(state);
    break;
  }
  case "observe":
    process.stdout.write(
      JSON.stringify({ applied: state.applied, state: { candidatePercent: state.candidatePercent } }),
    );
    break;
  case "displaced-jobs": {
    const running = JOB_MS.filter((ms) => state.shiftedAtMs + ms > now).length;
    process.stdout.write(String(state.shiftedAtMs === 0 ? 0 : running));
    break;
  }
  case "candidate-ready":
    process.stdout.write(state.bootedAtMs > 0 && now - state.bootedAtMs >= BOOT_MS ? "1" : "0");
    break;
  case "error-rate":
    process.stdout.write("0.002");
    break;
  default:
    process.stderr.write("usage: fleet.mjs apply|observe|displaced-jobs|candidate-ready|error-rate\n");
    process.exit(2);
}
