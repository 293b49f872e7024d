/**
 * Plain-JSON data of the sequential mode, and its copy-before-step. Arrays
 * that a step never mutates in place (`registry.nodes`, `ownUpper`) are shared
 * between copies and replaced when nodes are added.
 */
import { addSubject, type SubjectBank } from "./mixture-sprt.ts";
import { cloneRegistry, createRegistry, type NodeRegistry } from "./node-registry.ts";
import { createReference, type ReferenceState } from "./reference.ts";
import { COHORT_SHAPE, START_WEIGHT_COHORT } from "./sequential-grids.ts";

/** Sequential-mode data (the `data` of a `DetectorState`). */
export interface SequentialData {
  readonly mode: "sequential";
  steps: number;
  lateNodes: number;
  readonly registry: NodeRegistry;
  /** ln(1/share of the tests' alpha) per node. */
  readonly logInvShare: number[];
  /** Upper bound of each untouched node's baseline rate; −1 without baseline. */
  ownUpper: number[];
  readonly bank: SubjectBank;
  /** Each node's share of the reference's weighted windows (for leave-one-out). */
  readonly nodeLongRequests: number[];
  readonly nodeLongErrors: number[];
  readonly nodeShortRequests: number[];
  readonly nodeShortErrors: number[];
  /** Cohort test on the candidates' share of each tick's errors (errors as trials). */
  readonly cohort: SubjectBank;
  /** Candidate requests, candidate errors, legacy requests, legacy errors since the first tick. */
  readonly cohortCounts: number[];
  cohortLogInvShare: number;
  readonly reference: ReferenceState;
}

/** A bank with no subjects (the state of a fresh test). */
export function emptyBank(): SubjectBank {
  return {
    logStartWeight: [],
    logLateWeight: [],
    sprt: [],
    restart: [],
    restartRequests: [],
    restartErrors: [],
    dataTicks: [],
    requests: [],
    errors: [],
  };
}

function cloneBank(bank: SubjectBank): SubjectBank {
  return {
    logStartWeight: bank.logStartWeight.slice(),
    logLateWeight: bank.logLateWeight.slice(),
    sprt: bank.sprt.slice(),
    restart: bank.restart.slice(),
    restartRequests: bank.restartRequests.slice(),
    restartErrors: bank.restartErrors.slice(),
    dataTicks: bank.dataTicks.slice(),
    requests: bank.requests.slice(),
    errors: bank.errors.slice(),
  };
}

/** Fresh data with the pooled baselines as the reference's prior. */
export function createSequentialData(priorRequests: number, priorErrors: number): SequentialData {
  const cohort = emptyBank();
  addSubject(cohort, COHORT_SHAPE, START_WEIGHT_COHORT);
  return {
    mode: "sequential",
    steps: 0,
    lateNodes: 0,
    registry: createRegistry(),
    logInvShare: [],
    ownUpper: [],
    bank: emptyBank(),
    nodeLongRequests: [],
    nodeLongErrors: [],
    nodeShortRequests: [],
    nodeShortErrors: [],
    cohort,
    cohortCounts: [0, 0, 0, 0],
    cohortLogInvShare: 0,
    reference: createReference(priorRequests, priorErrors),
  };
}

/** Deep enough copy for one step to mutate without touching `data`. */
export function cloneSequentialData(data: SequentialData): SequentialData {
  return {
    ...data,
    registry: cloneRegistry(data.registry),
    logInvShare: data.logInvShare.slice(),
    bank: cloneBank(data.bank),
    nodeLongRequests: data.nodeLongRequests.slice(),
    nodeLongErrors: data.nodeLongErrors.slice(),
    nodeShortRequests: data.nodeShortRequests.slice(),
    nodeShortErrors: data.nodeShortErrors.slice(),
    cohort: cloneBank(data.cohort),
    cohortCounts: data.cohortCounts.slice(),
    reference: { ...data.reference },
  };
}
