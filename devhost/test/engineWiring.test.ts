import * as path from "node:path";
import { startHost, type DevHost } from "../src/host";

const appDir = path.join(__dirname, "fixtures/runtime-app");
let host: DevHost;

beforeAll(async () => {
  process.env.TICK_SCHEDULE = "0 */5 * * * *";
  host = await startHost({ appDir, port: 0, log: false });
});

afterAll(async () => {
  await host.stop();
});

test("an HTTP starter runs an orchestration to completion on the real engine", async () => {
  const res = await fetch(`${host.baseUrl}/api/start/bob`, { method: "POST" });
  expect(res.status).toBe(202);
  const links = (await res.json()) as { id: string; statusQueryGetUri: string };
  expect(links.statusQueryGetUri.startsWith(host.baseUrl)).toBe(true);
  await host.waitForIdle();
  const status = (await (await fetch(links.statusQueryGetUri)).json()) as {
    runtimeStatus: string;
    output: unknown;
  };
  expect(status).toMatchObject({ runtimeStatus: "Completed", output: "BOB!" });
});
