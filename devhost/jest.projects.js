/**
 * The devhost's jest projects: all of its tests on the in-memory store, and the durable engine's tests again on
 * a copying store (records come back as copies, as from any persistent store) and on SQLite. The store a
 * project runs on is picked by DEVHOST_TEST_STORE (see test/helpers/testStores.ts).
 */
const base = {
  rootDir: __dirname,
  preset: "ts-jest",
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.json" }] },
  setupFilesAfterEnv: ["<rootDir>/test/jestSetup.ts"],
};

const onStore = (store) => ({
  ...base,
  displayName: `devhost:${store}`,
  testMatch: ["<rootDir>/test/durable/**/*.test.ts"],
  setupFiles: [`<rootDir>/test/stores/use${store[0].toUpperCase()}${store.slice(1)}Store.js`],
});

module.exports = [
  { ...base, displayName: "devhost", testMatch: ["**/*.test.ts"] },
  onStore("copying"),
  onStore("sqlite"),
];
