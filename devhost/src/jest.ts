/**
 * Running apps on the devhost inside jest. jest gives every test file a module registry and a `process.env`
 * of its own; loaded with Node's loader, an app would see neither (a setting a test puts in `process.env`
 * would not reach it). `useJestModuleRegistry(jest)`, in a jest setup file, makes every host load its app
 * into the test's registry instead (fresh for each host, as with Node's loader).
 *
 * jest is passed in, never reached as a global: nothing in the devhost depends on a test framework.
 */
import { requireEntryFile, setDefaultModuleLoader, type ModuleLoader } from "./moduleHook";

/** The parts of the `jest` object the loader uses. */
export interface JestModuleRegistry {
  mock(moduleName: string, factory: () => unknown, options: { virtual: boolean }): unknown;
  isolateModules(fn: () => void): unknown;
}

/** A loader that requires the app's files in `jestObject`'s registry, isolated per host. */
export function jestModuleLoader(jestObject: JestModuleRegistry): ModuleLoader {
  return (files, appDir, coreApi) => {
    jestObject.mock("@azure/functions-core", () => coreApi, { virtual: true });
    jestObject.isolateModules(() => {
      // Entry files are only known at run time: they can only be loaded with require(), jest's here.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      for (const file of files) requireEntryFile((f) => require(f), file, appDir);
    });
  };
}

/** Makes every host started after this load its app into jest's registry. */
export function useJestModuleRegistry(jestObject: JestModuleRegistry): void {
  setDefaultModuleLoader(jestModuleLoader(jestObject));
}
