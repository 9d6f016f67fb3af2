/**
 * This app on the devhost with keys configured, as deployed: nobody without the Durable extension's system
 * key (or the master key) can signal the coordinator entity (`release`, `tryStart`), start, terminate or
 * purge through /runtime/webhooks/durabletask, while the app itself, whose starters call the management API
 * over the binding's keyless loopback rpcBaseUrl, works unchanged, and the check-status links it answers
 * with carry the key.
 */
import { AppClient, REPO_ROOT, startAppHost, WEBHOOKS } from "./appHost";

let app: AppClient;
const SYSTEM = "system-key";
const withHostKey = { "x-functions-key": "host-key" };

beforeAll(async () => {
  const host = await startAppHost({
    appDir: REPO_ROOT,
    port: 0,
    virtualTime: true,
    log: false,
    keys: { master: "master-key", host: ["host-key"], system: { durabletask_extension: [SYSTEM] } },
  });
  app = new AppClient(host);
});
afterAll(() => app.stop());

test("without the system key nobody reaches the coordinator entity or the instances; the app still works", async () => {
  const started = await app.startJob(
    "keyed",
    { orchestrator: "reportJob", input: { waitForEvent: "go" } },
    withHostKey,
  );
  expect(started.status).toBe(202);
  expect(started.body).toMatchObject({ generation: 1, instanceId: "keyed:1" });
  const statusUrl = started.body.statusQueryGetUri as string;
  expect(statusUrl).toBe(
    `${app.host.baseUrl}${WEBHOOKS}/instances/keyed:1?taskHub=${app.host.config.hubName}&connection=Storage&code=${SYSTEM}`,
  );
  await app.idle();
  const before = await app.get(`/api/jobs/keyed?code=host-key`);
  expect(before.body).toMatchObject({ generation: 1, active: { instanceId: "keyed:1" } });

  // Every way in that does not carry the system or the master key is refused, and changes nothing.
  const attacks: [string, string, unknown][] = [
    ["POST", `${WEBHOOKS}/entities/jobCoordinator/keyed?op=release`, { generation: 1, reason: "x" }],
    ["POST", `${WEBHOOKS}/entities/jobCoordinator/keyed?op=tryStart&code=host-key`, { requestId: "evil" }],
    ["POST", `${WEBHOOKS}/orchestrators/reportJob/keyed:2`, {}],
    ["POST", `${WEBHOOKS}/instances/keyed:1/terminate?reason=x`, undefined],
    ["POST", `${WEBHOOKS}/instances/keyed:1/raiseEvent/go`, null],
    ["DELETE", `${WEBHOOKS}/instances/keyed:1`, undefined],
    ["DELETE", `${WEBHOOKS}/instances?runtimeStatus=Running`, undefined],
    ["GET", `${WEBHOOKS}/entities/jobCoordinator/keyed`, undefined],
  ];
  for (const [method, route, body] of attacks) {
    expect([method, route, (await app.request(method, route, body, withHostKey)).status]).toEqual([
      method,
      route,
      401,
    ]);
  }
  await app.idle();
  expect((await app.get(`/api/jobs/keyed?code=host-key`)).body).toEqual(before.body);
  expect((await app.get(`${WEBHOOKS}/instances/keyed:1?code=${SYSTEM}`)).body).toMatchObject({
    runtimeStatus: "Running",
  });

  // The link the app answered with works as it is; with the key, the management API is open.
  expect((await fetch(statusUrl)).status).toBe(202);
  expect((await app.post(`${WEBHOOKS}/instances/keyed:1/raiseEvent/go?code=${SYSTEM}`, null)).status).toBe(
    202,
  );
  await app.idle();
  expect((await (await fetch(statusUrl)).json()) as unknown).toMatchObject({ runtimeStatus: "Completed" });
  expect((await app.get(`/api/jobs/keyed?code=host-key`)).body).toMatchObject({
    lastFinished: { generation: 1, outcome: "completed" },
  });
  const again = await app.startJob("keyed", { orchestrator: "reportJob" }, withHostKey);
  expect(again.body).toMatchObject({ generation: 2 });
  await app.idle();
  expect((await app.get(`${WEBHOOKS}/instances/keyed:2`)).status).toBe(401);
  expect(
    (
      await app.request("GET", `${WEBHOOKS}/instances/keyed:2`, undefined, {
        "x-functions-key": "master-key",
      })
    ).body,
  ).toMatchObject({
    runtimeStatus: "Completed",
  });
});
