/**
 * Small building blocks for a job's input check (`singletonOrchestration(name, handler, { checkInput })`):
 * an object input with known, optional fields, each with its own rule. The first problem found is
 * reported with the field's name.
 */
import type { InputCheck, InputProblem } from "./orchestratorCatalog";

/** A rule for one field: undefined when the value is fine, else what it must be. */
export type FieldRule = (value: unknown) => string | undefined;

export function integerIn(min: number, max: number): FieldRule {
  return (v) =>
    Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max
      ? undefined
      : `must be a whole number from ${min} to ${max}`;
}

export function oneOf(...values: string[]): FieldRule {
  return (v) => (values.includes(v as string) ? undefined : `must be one of ${values.join(", ")}`);
}

export function textMatching(pattern: RegExp, what: string): FieldRule {
  return (v) => (typeof v === "string" && pattern.test(v) ? undefined : `must be ${what}`);
}

/** An optional object input (absent or null means "all defaults") whose fields are all optional. */
export function objectInput(fields: Record<string, FieldRule>): InputCheck {
  return (input: unknown): InputProblem | undefined => {
    if (input === undefined || input === null) return undefined;
    if (typeof input !== "object" || Array.isArray(input)) {
      return { field: "", detail: "must be a JSON object" };
    }
    for (const [name, value] of Object.entries(input)) {
      const rule = fields[name];
      if (!rule) return { field: name, detail: `is not a known field (${Object.keys(fields).join(", ")})` };
      const problem = value === undefined ? undefined : rule(value);
      if (problem) return { field: name, detail: problem };
    }
    return undefined;
  };
}
