/**
 * `npm test` runs two projects: the app's tests (test/: TypeScript sources through ts-jest; the end-to-end
 * tests run the compiled app from dist/ on the devhost) and the devhost package's own tests (devhost/test/).
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

module.exports = {
  projects: [app, "<rootDir>/devhost"],
  reporters: ["default", "<rootDir>/test/summaryReporter.js"],
};
