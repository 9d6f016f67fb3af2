/** Every host in these tests loads its fixture app into the test's module registry (see src/jest.ts). */
import { useJestModuleRegistry } from "../src/jest";

useJestModuleRegistry(jest);
jest.setTimeout(60_000);
