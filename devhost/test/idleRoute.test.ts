/**
 * `/admin/devhost/idle` (startHost's `serveIdle`, the CLI's `--test-hooks`): a test driving a host in another
 * process waits for quiescence with one request. It answers once an orchestration started before it has
 * finished, needs the master key when keys are set, and does not exist unless asked for.
 */
import * as path from "node:path";
import { startHost, type DevHost } from "../src/host";

const appDir = path.join(__dirname, "fixtures/runtime-app");
let host: DevHost | undefined;

beforeAll(() => {
  process.env.TICK_SCHEDULE = "0 */5 * * * *";
});

afterEach(async () => {
  await host?.stop();
  host = undefined;
});

test("answers 200 Idle once the work started before it is done", async () => {
  host = await startHost({ appDir, port: 0, log: false, serveIdle: true });
  const started = await fetch(`${host.baseUrl}/api/start/idle`, { method: "POST" });
  const { statusQueryGetUri } = (await started.json()) as { statusQueryGetUri: string };
  const idle = await fetch(`${host.baseUrl}/admin/devhost/idle`, { method: "POST" });
  expect(idle.status).toBe(200);
  expect(await idle.json()).toEqual({ state: "Idle" });
  const status = await fetch(statusQueryGetUri.replace(/^http:\/\/localhost:\d+/, host.baseUrl));
  expect(await status.json()).toMatchObject({ runtimeStatus: "Completed", output: "IDLE!" });
});

test("needs the master key when keys are configured", async () => {
  host = await startHost({
    appDir,
    port: 0,
    log: false,
    serveIdle: true,
    keys: { master: "m", host: ["h"], functions: {}, system: {} },
  });
  expect((await fetch(`${host.baseUrl}/admin/devhost/idle`)).status).toBe(401);
  expect((await fetch(`${host.baseUrl}/admin/devhost/idle?code=h`)).status).toBe(401);
  expect((await fetch(`${host.baseUrl}/admin/devhost/idle?code=m`)).status).toBe(200);
});

test("is not served unless asked for", async () => {
  host = await startHost({ appDir, port: 0, log: false });
  expect((await fetch(`${host.baseUrl}/admin/devhost/idle`)).status).toBe(404);
});
