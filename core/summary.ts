/** The bounded summary an orchestration reports back with `complete`. */
import { summarize } from "./boundedState";

export function errorSummary(error: unknown): string {
  if (error instanceof Error) return summarize(`${error.name}: ${error.message}`) ?? error.name;
  return summarize(error) ?? "unknown error";
}

export function outputSummary(output: unknown): string | undefined {
  return summarize(output);
}
