/**
 * The default loader, as the CLI and plain Node tests use it: Node's own module system, even here under
 * jest (which has a registry of its own). Each host gets fresh instances of the app and of the packages it
 * loads, so a second host in the same process registers everything again.
 */
import * as path from "node:path";
import { startHost } from "../src/host";
import { nodeModuleLoader } from "../src/moduleHook";

const appDir = path.join(__dirname, "fixtures/durable-app");

test("two hosts in turn load the app with Node's loader, each registering its functions and running them", async () => {
  for (let round = 0; round < 2; round++) {
    const host = await startHost({ appDir, port: 0, log: false, moduleLoader: nodeModuleLoader });
    try {
      expect(host.functions.map((f) => f.name)).toContain("start");
      const res = await fetch(`${host.baseUrl}/api/start/hello`, {
        method: "POST",
        body: JSON.stringify("node"),
      });
      expect(res.status).toBe(202);
      const { statusQueryGetUri } = (await res.json()) as { statusQueryGetUri: string };
      await host.waitForIdle();
      const status = (await (await fetch(statusQueryGetUri)).json()) as {
        runtimeStatus: string;
        output: unknown;
      };
      expect(status).toMatchObject({ runtimeStatus: "Completed", output: "Hello, node!" });
    } finally {
      await host.stop();
    }
  }
});
