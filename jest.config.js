/** Tests run from TypeScript sources through ts-jest; the devhost e2e tests load the compiled app from dist/. */
module.exports = {
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", {}] },
  testTimeout: 60000,
  reporters: ["default", "<rootDir>/test/summaryReporter.js"],
};
