#!/usr/bin/env node
/**
 * `npm run start:func`: run the app on the real Functions host (Azure Functions Core Tools' `func start`)
 * with Azurite as its storage. Starts Azurite itself (unless something already listens on its ports),
 * creates local.settings.json from the example when missing, and stops Azurite when `func` exits.
 * Core Tools are not an npm dependency (their installer downloads a binary): install them yourself.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const AZURITE_PORTS = { blob: 10000, queue: 10001, table: 10002 };

function portInUse(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function hasFunc() {
  const probe = spawnSync("func", ["--version"], { stdio: "ignore", shell: process.platform === "win32" });
  return probe.status === 0;
}

async function startAzurite() {
  const busy = await Promise.all(Object.values(AZURITE_PORTS).map(portInUse));
  if (busy.every(Boolean)) {
    console.log("Azurite (or another storage emulator) is already listening on 10000-10002; using it.");
    return undefined;
  }
  const bin = path.join(
    root,
    "node_modules",
    ".bin",
    process.platform === "win32" ? "azurite.cmd" : "azurite",
  );
  const args = ["--silent", "--location", path.join(root, ".azurite"), "--skipApiVersionCheck"];
  const child = spawn(bin, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk.toString();
      if (out.includes("Table service is successfully listening")) resolve();
    });
    child.once("exit", (code) =>
      reject(new Error(`Azurite exited with code ${code} before it was ready:\n${out}`)),
    );
  });
  console.log("Azurite started on 127.0.0.1:10000-10002 (data in .azurite/).");
  return child;
}

async function main() {
  if (!existsSync(path.join(root, "local.settings.json"))) {
    copyFileSync(path.join(root, "local.settings.example.json"), path.join(root, "local.settings.json"));
    console.log("Created local.settings.json from local.settings.example.json.");
  }
  const azurite = await startAzurite();
  const stopAzurite = () => azurite?.kill("SIGTERM");
  if (!hasFunc()) {
    console.error(
      "Azure Functions Core Tools ('func') were not found on PATH. Install them " +
        "(https://learn.microsoft.com/azure/azure-functions/functions-run-local), or run the app on the " +
        "bundled devhost with `npm start`.",
    );
    stopAzurite();
    process.exitCode = 1;
    return;
  }
  const func = spawn("func", ["start", ...process.argv.slice(2)], {
    cwd: root,
    stdio: "inherit",
    shell: process.platform === "win32",
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => func.kill(signal));
  func.once("exit", (code) => {
    stopAzurite();
    process.exitCode = code ?? 1;
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
