// Runs this jest project's durable engine tests on the sqlite store (see ../helpers/testStores.ts).
process.env.DEVHOST_TEST_STORE = "sqlite";
