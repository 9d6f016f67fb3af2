/**
 * Auth levels as deployed: with keys configured, starting a job needs a function/host key and the
 * release endpoint needs the master key (admin). Release frees the lock and starts the queued request.
 */
import { AppClient, REPO_ROOT, startAppHost, WEBHOOKS } from "./appHost";

let app: AppClient;

beforeAll(async () => {
  const host = await startAppHost({
    appDir: REPO_ROOT,
    port: 0,
    virtualTime: true,
    log: false,
    keys: { master: "master-key", host: ["host-key"] },
  });
  app = new AppClient(host);
});
afterAll(() => app.stop());

const hold = { orchestrator: "reportJob", input: { waitForEvent: "go" } };

test("start needs a key; release needs the master key and promotes the queued request", async () => {
  expect((await app.startJob("guarded", hold)).status).toBe(401);
  expect((await app.startJob("guarded", hold, { "x-functions-key": "host-key" })).status).toBe(202);
  const queued = await app.startJob(
    "guarded",
    { orchestrator: "reportJob", policy: "queue" },
    { "x-functions-key": "host-key" },
  );
  expect(queued.status).toBe(202);
  await app.idle();

  expect((await app.post("/api/jobs/guarded/release?code=host-key", { reason: "stuck" })).status).toBe(401);
  const released = await app.post("/api/jobs/guarded/release?code=master-key", { reason: "stuck" });
  expect(released.status).toBe(200);
  expect(released.body).toMatchObject({
    status: "released",
    released: { generation: 1, instanceId: "guarded:1" },
    promoted: { generation: 2, instanceId: "guarded:2" },
  });
  await app.idle();
  // The management API needs the durabletask_extension system key or the master key, like on Azure.
  expect((await app.instance("guarded:2")).status).toBe(401);
  expect((await app.instance("guarded:2", "?code=master-key")).body).toMatchObject({
    runtimeStatus: "Completed",
  });
  const state = await app.get("/api/jobs/guarded?code=host-key");
  expect(state.body.lastFinished).toMatchObject({ generation: 2, outcome: "completed" });
  expect(state.body.counters).toMatchObject({ released: 1, completed: 1 });
  // The released run was terminated: it can never run beside the promoted one, nor report late.
  expect((await app.instance("guarded:1", "?code=master-key")).body).toMatchObject({
    runtimeStatus: "Terminated",
    output: "released: stuck",
  });
  expect(
    (await app.post(`${WEBHOOKS}/instances/guarded%3A1/raiseEvent/go?code=master-key`, null)).status,
  ).toBe(410);
});
