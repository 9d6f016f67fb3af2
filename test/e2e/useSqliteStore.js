// Runs this jest project's end-to-end tests with every devhost on a SqliteStore (see ./appHost.ts).
process.env.DEVHOST_TEST_STORE = "sqlite";
