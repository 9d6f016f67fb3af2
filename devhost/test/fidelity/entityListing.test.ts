/**
 * Entity listing: `GET entities` and `GET entities/{name}` (HttpApiHandler.HandleListEntitiesRequestAsync
 * over DurableClient.ListEntitiesAsync / EntityQuery). Sources for the expected results:
 * - only entities that exist are listed (EntityQuery.IncludeDeleted is false), optionally those of one name
 *   (matched through the lowercased `@name@` id prefix);
 * - each entry is a DurableEntityStatus: `entityId` {name, key} as the scheduler id gives it (name
 *   lowercased), `lastOperationTime`, and `state` only with fetchState=true (EntityQuery.FetchState defaults
 *   to false, the state is then null);
 * - lastOperationTimeFrom / lastOperationTimeTo bound the last operation time (To defaults to now);
 * - `top` sets the page size (EntityQuery.PageSize, default 100) and x-ms-continuation-token carries the
 *   next page, both ways.
 * The durable-functions 3.5 DurableClient has no method for it; dashboards call the route.
 */
import * as df from "durable-functions";
import { startFeatures, type Features } from "./featuresHost";

let f: Features;

beforeEach(async () => {
  f = await startFeatures();
});

afterEach(async () => {
  await f.stop();
});

interface Listed {
  entityId: { name: string; key: string };
  lastOperationTime: string;
  state: unknown;
}

async function list(
  pathAndQuery: string,
  token?: string,
): Promise<{ entities: Listed[]; next: string | null }> {
  const res = await f.management(
    "GET",
    pathAndQuery,
    undefined,
    token ? { "x-ms-continuation-token": token } : {},
  );
  expect(res.status).toBe(200);
  return { entities: JSON.parse(res.text) as Listed[], next: res.headers.get("x-ms-continuation-token") };
}

const keys = (entities: Listed[]) => entities.map((e) => `${e.entityId.name}/${e.entityId.key}`);

test("accounts are listed by name, with their state only when asked for, in pages", async () => {
  const t0 = Date.now();
  for (const [key, amount] of [
    ["carol", 30],
    ["alice", 10],
    ["bob", 20],
  ] as const) {
    await f.client.signalEntity(new df.EntityId("account", key), "deposit", amount);
  }
  // A closed account no longer exists (its state was deleted), and is not listed.
  await f.client.signalEntity(new df.EntityId("account", "dave"), "deposit", 5);
  await f.client.signalEntity(new df.EntityId("account", "dave"), "close");
  await f.host.waitForIdle();
  expect((await f.client.readEntityState(new df.EntityId("account", "dave"))).entityExists).toBe(false);

  const all = await list("entities/account");
  expect(all.next).toBeNull();
  expect(keys(all.entities)).toEqual(["account/alice", "account/bob", "account/carol"]);
  expect(all.entities.every((e) => e.state === null)).toBe(true);
  for (const e of all.entities) {
    const at = Date.parse(e.lastOperationTime);
    expect(at).toBeGreaterThanOrEqual(t0);
    expect(at).toBeLessThanOrEqual(Date.now());
  }

  const withState = await list("entities/Account?fetchState=true");
  expect(withState.entities.map((e) => [e.entityId.key, e.state])).toEqual([
    ["alice", 10],
    ["bob", 20],
    ["carol", 30],
  ]);

  const first = await list("entities/account?top=2&fetchState=true");
  expect(keys(first.entities)).toEqual(["account/alice", "account/bob"]);
  expect(first.next).toEqual(expect.any(String));
  const second = await list("entities/account?top=2&fetchState=true", first.next as string);
  expect([keys(second.entities), second.next]).toEqual([["account/carol"], null]);
});

test("lastOperationTimeFrom/To select by the last operation; GET entities lists every name", async () => {
  await f.client.signalEntity(new df.EntityId("account", "early"), "deposit", 1);
  await f.host.waitForIdle();
  await f.host.advanceTime(60_000);
  const between = new Date().toISOString();
  await f.host.advanceTime(60_000);
  await f.client.signalEntity(new df.EntityId("account", "late"), "deposit", 2);
  await f.host.waitForIdle();

  expect(keys((await list(`entities/account?lastOperationTimeFrom=${between}`)).entities)).toEqual([
    "account/late",
  ]);
  expect(keys((await list(`entities/account?lastOperationTimeTo=${between}`)).entities)).toEqual([
    "account/early",
  ]);
  expect(keys((await list("entities")).entities)).toEqual(["account/early", "account/late"]);
  expect(keys((await list("entities/ledger")).entities)).toEqual([]);
  // An operation moves the entity's last operation time.
  await f.client.signalEntity(new df.EntityId("account", "early"), "deposit", 1);
  await f.host.waitForIdle();
  expect(keys((await list(`entities/account?lastOperationTimeFrom=${between}`)).entities)).toEqual([
    "account/early",
    "account/late",
  ]);
});
