/**
 * `npm run start:func` without Core Tools installed (as on this project's machines): it starts Azurite
 * itself, then says clearly that `func` is missing, stops Azurite and exits 1.
 */
import { spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { REPO_ROOT } from "./appHost";

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

test("start:func starts Azurite, reports the missing Core Tools, stops Azurite and exits 1", async () => {
  const portsBusy = await Promise.all([10000, 10001, 10002].map(listening));
  // With an emulator already running the script reuses it; this test checks the script's own Azurite.
  if (portsBusy.some(Boolean))
    throw new Error("ports 10000-10002 are in use: stop the storage emulator first");
  const child = spawn(process.execPath, [path.join(REPO_ROOT, "scripts", "start-func.mjs")], {
    cwd: REPO_ROOT,
    env: { ...process.env, PATH: path.dirname(process.execPath) }, // node only: no `func`
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  expect(stdout).toContain("Azurite started on 127.0.0.1:10000-10002");
  expect(stderr).toContain("Azure Functions Core Tools ('func') were not found on PATH");
  expect(code).toBe(1);
  expect(await Promise.all([10000, 10001, 10002].map(listening))).toEqual([false, false, false]);
});
