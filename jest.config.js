/**
 * `npm test` runs the app's tests (test/: TypeScript sources through ts-jest; the end-to-end tests run the
 * compiled app from dist/ on the devhost, on its in-memory store), the end-to-end tests again with every
 * devhost on a SQLite store (`app:sqlite`, see test/e2e/appHost.ts), and the devhost package's own projects
 * (devhost/jest.projects.js).
 */
const app = {
  displayName: "app",
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", {}] },
  setupFilesAfterEnv: ["<rootDir>/test/jestSetup.ts"],
};

const appOnSqlite = {
  ...app,
  displayName: "app:sqlite",
  testMatch: ["<rootDir>/test/e2e/**/*.test.ts"],
  // The tests that spawn the CLI keep their own data directories: they have nothing to run again here.
  testPathIgnorePatterns: [
    "/node_modules/",
    "/test/e2e/shutdown\\.test\\.ts$",
    "/test/e2e/startFunc\\.test\\.ts$",
  ],
  setupFiles: ["<rootDir>/test/e2e/useSqliteStore.js"],
};

module.exports = {
  projects: [app, appOnSqlite, ...require("./devhost/jest.projects")],
  reporters: ["default", "<rootDir>/test/summaryReporter.js"],
};
