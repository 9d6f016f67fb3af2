/** Every devhost in these tests loads the app into the test's module registry (devhost src/jest.ts). */
import { useJestModuleRegistry } from "durable-functions-devhost/dist/jest";

useJestModuleRegistry(jest);
jest.setTimeout(60_000);
