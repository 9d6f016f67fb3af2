/** The devhost's own tests, from TypeScript sources through ts-jest (fixture apps are plain JavaScript). */
module.exports = {
  displayName: "devhost",
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.json" }] },
  setupFilesAfterEnv: ["<rootDir>/test/jestSetup.ts"],
};
