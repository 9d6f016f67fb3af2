// Runs this jest project's durable engine tests on the copying store (see ../helpers/testStores.ts).
process.env.DEVHOST_TEST_STORE = "copying";
