/** Names of the orchestrators registered as singleton jobs: starters accept only these. */
const names = new Set<string>();

export function registerSingletonOrchestrator(name: string): void {
  names.add(name);
}

export function knownOrchestrators(): ReadonlySet<string> {
  return names;
}
