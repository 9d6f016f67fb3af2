/**
 * A minimal stand-in for the `@azure/functions-core` module for binding tests: it captures what
 * `app.*` / `df.app.*` register so a test can call the registered handler the way the worker would.
 * Use: `jest.mock("@azure/functions-core", () => jest.requireActual("../helpers/fakeFunctionsCore"), { virtual: true });`
 */
export interface Registered {
  metadata: { name: string; bindings: Record<string, { type: string; direction: string }> };
  handler: (...args: unknown[]) => unknown;
}

export const registered = new Map<string, Registered>();

export class Disposable {
  constructor(private readonly callback: () => void) {}
  dispose(): void {
    this.callback();
  }
}

export function setProgrammingModel(): void {}

export function registerFunction(
  metadata: Registered["metadata"],
  handler: Registered["handler"],
): Disposable {
  registered.set(metadata.name, { metadata, handler });
  return new Disposable(() => registered.delete(metadata.name));
}

export function registerHook(): Disposable {
  return new Disposable(() => undefined);
}

export function log(): void {}
