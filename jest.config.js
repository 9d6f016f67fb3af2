/**
 * `npm test` runs the app's tests (test/: TypeScript sources through ts-jest; the end-to-end tests run the
 * compiled app from dist/ on the devhost) and the devhost package's own projects (devhost/jest.projects.js).
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
  projects: [app, ...require("./devhost/jest.projects")],
  reporters: ["default", "<rootDir>/test/summaryReporter.js"],
};
