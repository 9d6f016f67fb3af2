/**
 * SIGTERM during a 64-way race, on the real CLI (`durable-devhost`, the devhost package's dist/cli.js) running this repo's app: every
 * request gets a real HTTP answer (no reset), the process exits 0 within 5 s. The starts whose function had
 * begun when the host stopped are decided as in any race (one 202, the others 409); the ones that arrived
 * after it began stopping are refused with the host's 503.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { oneShot, type OneShotReply } from "../helpers/oneShotHttp";
import { REPO_ROOT } from "./appHost";

const STARTERS = 64;
const EXIT_WITHIN_MS = 5_000;

test(`SIGTERM during a ${STARTERS}-way race answers every request and exits 0 within 5 s`, async () => {
  const child = spawn(
    process.execPath,
    [
      require.resolve("durable-functions-devhost/dist/cli.js"),
      "--port",
      "0",
      "--data",
      fs.mkdtempSync(path.join(os.tmpdir(), "shutdown-")),
    ],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, WEBSITE_HOSTNAME: "" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => (stdout.includes(text) ? resolve() : undefined);
      child.stdout.on("data", check);
      child.on("exit", () =>
        reject(new Error(`CLI exited before printing "${text}":\n${stdout}\n${stderr}`)),
      );
      check();
    });
  await printed("Host started");
  const port = /http:\/\/localhost:(\d+)\/api\/jobs\/\{jobName\}\/start/.exec(stdout)?.[1];
  expect(port).toBeDefined();

  const body = JSON.stringify({ orchestrator: "reportJob", input: { waitForEvent: "go" } });
  const replies = Array.from({ length: STARTERS }, () =>
    oneShot(`http://127.0.0.1:${port}/api/jobs/shutdown-race/start`, "POST", body, {
      "content-type": "application/json",
    }).then(
      (reply): { reply: OneShotReply } => ({ reply }),
      (err: Error): { failed: string } => ({ failed: err.message }),
    ),
  );
  // The race is on once the first starter runs.
  await printed("Executing 'Functions.jobStart'");
  const signalled = performance.now();
  child.kill("SIGTERM");
  const code = await exited;
  const took = performance.now() - signalled;
  const outcomes = await Promise.all(replies);

  expect(outcomes.filter((o) => "failed" in o)).toEqual([]);
  const answers = outcomes.map((o) => (o as { reply: OneShotReply }).reply);
  const started = stdout.split("Executing 'Functions.jobStart'").length - 1;
  expect(started).toBeGreaterThanOrEqual(1);
  const count = (status: number) => answers.filter((a) => a.status === status).length;
  expect({ 202: count(202), 409: count(409), 503: count(503) }).toEqual({
    202: 1,
    409: started - 1,
    503: STARTERS - started,
  });
  for (const refused of answers.filter((a) => a.status === 503)) {
    expect(refused).toMatchObject({
      headers: { connection: "close" },
      body: { error: "HostStopping", detail: "The host is shutting down." },
    });
  }
  const winner = answers.find((a) => a.status === 202)!;
  expect(winner.body).toMatchObject({ status: "started", generation: 1, instanceId: "shutdown-race:1" });

  expect(code).toBe(0);
  expect(took).toBeLessThan(EXIT_WITHIN_MS);
  expect(stdout).toContain("Stopping host...\n");
  expect(stdout.endsWith("Host shutdown completed.\n")).toBe(true);
  expect(stderr).not.toContain("abandoned");
});
