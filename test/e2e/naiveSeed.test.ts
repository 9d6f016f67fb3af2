/**
 * The same 64-way race against a copy of the seed's naive starter (test/fixtures/naive-seed-app): it
 * reports success to more than one starter and starts user code more than once for one instance id
 * (the later start overwrites the earlier run, which is lost). This test records that, to show the
 * difference with the coordinator (test/e2e/race.test.ts), where exactly one starter wins.
 */
import * as path from "node:path";
import { AppClient, WEBHOOKS } from "./appHost";

const STARTERS = 64;
const ROUNDS = 20;
let app: AppClient;

beforeAll(async () => {
  app = await AppClient.start({ appDir: path.join(__dirname, "..", "fixtures", "naive-seed-app") });
});
afterAll(() => app.stop());

test("the naive check-then-start lets several starters win the same instance id", async () => {
  const successesPerRound: number[] = [];
  const userCodeStartsPerRound: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const id = `naive-${round}`;
    const replies = await Promise.all(
      Array.from({ length: STARTERS }, () => app.post(`/api/orchestrators/naiveJob/${id}`, { round })),
    );
    await app.idle();
    successesPerRound.push(replies.filter((r) => r.status === 202).length);
    const counter = await app.get(`${WEBHOOKS}/entities/startCounter/${id}`);
    userCodeStartsPerRound.push(counter.body as unknown as number);
    await app.raiseEvent(id, "go");
    await app.idle();
  }
  // Recorded outcome: every round had at least one winner, and in total far more than one per round.
  expect(successesPerRound.every((n) => n >= 1)).toBe(true);
  const totalSuccesses = successesPerRound.reduce((a, b) => a + b, 0);
  const totalStarts = userCodeStartsPerRound.reduce((a, b) => a + b, 0);
  expect(totalSuccesses).toBeGreaterThan(ROUNDS);
  expect(totalStarts).toBeGreaterThan(ROUNDS);
  console.log(
    `naive seed starter, ${ROUNDS} rounds x ${STARTERS} starters: ${totalSuccesses} starters were told "started" ` +
      `(coordinator: ${ROUNDS}); user code started ${totalStarts} times (coordinator: ${ROUNDS}).`,
  );
});
