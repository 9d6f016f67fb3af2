/**
 * The orchestrators registered as singleton jobs (starters accept only these), with each one's input
 * check. Inputs of runs come from HTTP callers, so a job states what it accepts and a bad input is refused
 * with a 400 naming the field before anything is decided.
 */

/** A problem with a run's input: `field` is a path inside the input ("" for the input itself). */
export interface InputProblem {
  field: string;
  detail: string;
}

export type InputCheck = (input: unknown) => InputProblem | undefined;

const names = new Set<string>();
const checks = new Map<string, InputCheck>();

export function registerSingletonOrchestrator(name: string, check?: InputCheck): void {
  names.add(name);
  if (check) checks.set(name, check);
}

export function knownOrchestrators(): ReadonlySet<string> {
  return names;
}

/** The problem with `input` for `orchestrator`, if its check finds one. */
export function inputProblem(orchestrator: string, input: unknown): InputProblem | undefined {
  return checks.get(orchestrator)?.(input);
}
