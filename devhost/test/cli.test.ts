import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { parseCliArgs } from "../src/cli";
import { formatFunctionList } from "../src/functionList";
import { oneShot } from "./helpers/oneShotHttp";
import { tempDataDir } from "./helpers/testStores";

const packageRoot = path.join(__dirname, "..");
const appDir = path.join(__dirname, "fixtures/runtime-app");
const busyAppDir = path.join(__dirname, "fixtures/busy-app");

const children: ChildProcess[] = [];
// A test that fails half-way must not leave a host running (jest would wait for it).
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

/** Runs src/cli.ts from source (no build needed) on the runtime test app, on a fresh data directory. */
function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  if (!args.includes("--memory") && !args.includes("--data")) args = [...args, "--data", tempDataDir("cli-")];
  const child = spawn(
    process.execPath,
    [
      "-r",
      path.join(packageRoot, "test/fixtures/runtime-app/ts-register.js"),
      path.join(packageRoot, "src/cli.ts"),
      ...args,
    ],
    { env: { ...process.env, TICK_SCHEDULE: "0 */5 * * * *", ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  return child;
}

test("formats the function list like func start", () => {
  const text = formatFunctionList(
    [
      {
        name: "echo",
        trigger: "httpTrigger",
        methods: ["GET", "POST"],
        route: "echo/{id:int}",
        authLevel: "anonymous",
      },
      { name: "tick", trigger: "timerTrigger", schedule: "0 */5 * * * *" },
      { name: "run", trigger: "orchestrationTrigger" },
    ],
    "http://localhost:7071",
    "api",
  );
  expect(text).toBe(
    [
      "Functions:",
      "",
      "        echo: [GET,POST] http://localhost:7071/api/echo/{id:int}",
      "        tick: timerTrigger",
      "        run: orchestrationTrigger",
      "",
    ].join("\n"),
  );
});

test("parses arguments", () => {
  // The app is the current directory by default, as for `func start`.
  expect(parseCliArgs([])).toEqual({
    appDir: process.cwd(),
    port: 7071,
    verbose: false,
    quiet: false,
    reset: false,
  });
  expect(parseCliArgs(["--quiet"])).toMatchObject({ quiet: true });
  expect(parseCliArgs(["--app", "x", "--port", "0", "--memory", "--keys", '{"master":"m"}'])).toEqual({
    appDir: "x",
    port: 0,
    keys: { master: "m", host: [], functions: {}, system: {} },
    verbose: false,
    quiet: false,
    reset: false,
    data: "memory",
  });
  expect(parseCliArgs(["--data", "d", "--reset", "--synchronous", "FULL"])).toMatchObject({
    data: "d",
    reset: true,
    synchronous: "full",
  });
  expect(() => parseCliArgs(["--data", "d", "--memory"])).toThrow(/exclude each other\nusage:/);
  expect(() => parseCliArgs(["--memory", "--data", "d"])).toThrow(/exclude each other/);
  expect(() => parseCliArgs(["--memory", "--reset"])).toThrow(/not --memory/);
  expect(() => parseCliArgs(["--synchronous", "off"])).toThrow(/expected normal or full/);
  expect(() => parseCliArgs(["--port", "abc"])).toThrow(/Invalid port/);
  expect(() => parseCliArgs(["--bogus"])).toThrow(/Unknown argument/);
});

test("parses --latency MIN-MAX / N and --latency-seed N", () => {
  expect(parseCliArgs(["--latency", "0-2000"]).latency).toEqual({ minMs: 0, maxMs: 2000, seed: 1 });
  expect(parseCliArgs(["--latency", "250"]).latency).toEqual({ minMs: 250, maxMs: 250, seed: 1 });
  expect(parseCliArgs(["--latency-seed", "42", "--latency", "10-20"]).latency).toEqual({
    minMs: 10,
    maxMs: 20,
    seed: 42,
  });
  expect(parseCliArgs(["--latency", "0-600000", "--latency-seed", "4294967295"]).latency).toEqual({
    minMs: 0,
    maxMs: 600000,
    seed: 4294967295,
  });
  expect(parseCliArgs(["--port", "0"]).latency).toBeUndefined();
});

test("rejects bad --latency / --latency-seed values, naming the flag and the usage", () => {
  const usage = /\nusage: cli\.js .*\[--latency MIN-MAX\] \[--latency-seed N\]/;
  for (const bad of ["abc", "1.5", "-3", "10-", "-", "", "2-1", "0-600001", "600001", "0x10"]) {
    const parse = () => parseCliArgs(["--latency", bad]);
    expect(parse).toThrow(`Invalid --latency "${bad}"`);
    expect(parse).toThrow(usage);
  }
  expect(() => parseCliArgs(["--latency", "2-1"])).toThrow("0 <= min <= max <= 600000");
  expect(() => parseCliArgs(["--latency", "a-b"])).toThrow("expected MIN-MAX or N, in whole milliseconds");
  for (const bad of ["x", "-1", "1.5", "4294967296"]) {
    const parse = () => parseCliArgs(["--latency", "0-10", "--latency-seed", bad]);
    expect(parse).toThrow(`Invalid --latency-seed "${bad}"`);
    expect(parse).toThrow(usage);
  }
  expect(() => parseCliArgs(["--latency-seed", "3"])).toThrow(/--latency-seed needs --latency\nusage:/);
  expect(() => parseCliArgs(["--latency"])).toThrow(/--latency needs a value\nusage:/);
});

test("the CLI prints the functions, serves them and exits 0 on SIGTERM", async () => {
  const child = spawnCli(["--app", appDir, "--port", "0"], { WEBSITE_HOSTNAME: "" });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes("Host started")) resolve();
    });
    child.on("exit", () => reject(new Error(`CLI exited early:\n${stdout}\n${stderr}`)));
  });

  const port = /http:\/\/localhost:(\d+)\/api\/hello/.exec(stdout)?.[1];
  expect(port).toBeDefined();
  expect(stdout).toContain(`        hello: [GET,POST] http://localhost:${port}/api/hello`);
  expect(stdout).toContain(`        echo: [GET,POST,PUT] http://localhost:${port}/api/echo/{id:int}/{name?}`);
  expect(stdout).toContain("        tick: timerTrigger");
  expect(stdout).toContain("        sayHello: orchestrationTrigger");
  expect(stdout).toContain("        counter: entityTrigger");
  expect(stdout).toContain("        shout: activityTrigger");
  expect(stdout.indexOf("Functions:")).toBeLessThan(stdout.indexOf("Host started"));

  const res = await fetch(`http://127.0.0.1:${port}/admin/host/status`);
  expect(await res.json()).toEqual({ state: "Running" });

  // Like `func start`, every invocation is logged as it starts and ends.
  const hello = await fetch(`http://127.0.0.1:${port}/api/hello?name=cli`);
  expect(hello.status).toBe(200);
  await new Promise<void>((resolve) => {
    const check = () =>
      /Executed 'Functions\.hello' \(Succeeded, Id=[0-9a-f-]+, Duration=\d+ms\)/.test(stdout)
        ? resolve()
        : undefined;
    child.stdout.on("data", check);
    check();
  });
  expect(stdout).toMatch(
    /Executing 'Functions\.hello' \(Reason='This function was programmatically called via the host APIs\.', Id=[0-9a-f-]+\)/,
  );

  child.kill("SIGTERM");
  expect(await exited).toBe(0);
});

test("a port in use gets func start's advice and exit code 1", async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const child = spawnCli(["--app", appDir, "--port", String(port)]);
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toContain(
      `Port ${port} is unavailable. Close the process using that port, or specify another port using --port.`,
    );
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test("with --latency the CLI says so before Host started; a bad value exits 1 naming the flag", async () => {
  const bad = spawnCli(["--app", appDir, "--latency", "9-1"]);
  let badErr = "";
  bad.stderr.on("data", (d: Buffer) => (badErr += d.toString()));
  expect(await new Promise<number | null>((resolve) => bad.on("exit", resolve))).toBe(1);
  expect(badErr).toContain('Invalid --latency "9-1": delays must satisfy 0 <= min <= max <= 600000');
  expect(badErr).toContain("usage: cli.js");

  const child = spawnCli(["--app", appDir, "--port", "0", "--latency", "0-5", "--latency-seed", "3"], {
    WEBSITE_HOSTNAME: "",
  });
  let stdout = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes("Host started")) resolve();
    });
    child.on("exit", () => reject(new Error(`CLI exited early:\n${stdout}`)));
  });
  expect(stdout).toContain("\nDurable message latency: 0-5 ms (seed 3)\nHost started");
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
});

test("an entry file that does not parse stops the CLI with the file, the error and where it is", async () => {
  const broken = path.join(packageRoot, "test/fixtures/broken-entry-app");
  const child = spawnCli(["--app", broken, "--port", "0"]);
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  expect(await new Promise<number | null>((resolve) => child.on("exit", resolve))).toBe(1);
  // nodejs-worker src/startApp.ts names the entry point the same way.
  expect(stderr.trim()).toBe(
    `Worker was unable to load entry point "src/parse-error.js": Unexpected token ')' ` +
      `(at ${path.join(broken, "src/parse-error.js")}:4)`,
  );
});

test("parses --shutdown-timeout MS and rejects bad values", () => {
  expect(parseCliArgs(["--shutdown-timeout", "250"]).shutdownTimeoutMs).toBe(250);
  expect(parseCliArgs([]).shutdownTimeoutMs).toBeUndefined();
  for (const bad of ["x", "-1", "1.5", "600001"]) {
    const parse = () => parseCliArgs(["--shutdown-timeout", bad]);
    expect(parse).toThrow(
      `Invalid --shutdown-timeout "${bad}": the bound must be whole milliseconds from 0 to 600000`,
    );
    expect(parse).toThrow(/\nusage: cli\.js .*\[--shutdown-timeout MS\]/);
  }
});

/** The CLI on the busy-app fixture, with a request to `hangForever` in flight (its function has started). */
async function cliWithHangingRequest(args: string[]) {
  const child = spawnCli(["--app", busyAppDir, "--port", "0", ...args], { WEBSITE_HOSTNAME: "" });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  /** Resolves once stdout contains `text`. */
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => (stdout.includes(text) ? resolve() : undefined);
      child.stdout.on("data", check);
      child.on("exit", () =>
        reject(new Error(`CLI exited before printing "${text}":\n${stdout}\n${stderr}`)),
      );
      check();
    });
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  await printed("Host started");
  const port = /http:\/\/localhost:(\d+)\/api\/hangForever/.exec(stdout)?.[1];
  const hanging = oneShot(`http://127.0.0.1:${port}/api/hangForever`);
  await printed("Executing 'Functions.hangForever'");
  return { child, exited, hanging, printed, output: () => ({ stdout, stderr }) };
}

test("SIGTERM: a request that outlives --shutdown-timeout is answered 503, named in the log, and the CLI exits 0", async () => {
  const cli = await cliWithHangingRequest(["--shutdown-timeout", "200"]);
  const signalled = performance.now();
  cli.child.kill("SIGTERM");
  expect(await cli.exited).toBe(0);
  expect(performance.now() - signalled).toBeGreaterThanOrEqual(195);
  expect(await cli.hanging).toMatchObject({
    status: 503,
    headers: { connection: "close" },
    body: {
      error: "HostStopping",
      detail: "The host stopped before this request finished (shutdown bound: 200 ms).",
    },
  });
  const { stdout, stderr } = cli.output();
  expect(stdout).toContain("Host started\n");
  expect(stdout).toContain("Stopping host...\n");
  expect(stdout.endsWith("Host shutdown completed.\n")).toBe(true);
  expect(stderr).toBe(
    "Host did not shut down within 200 ms; abandoned what was still running: " +
      "httpTrigger 'hangForever' (GET /api/hangForever)\n",
  );
});

test("a second SIGTERM while stopping exits at once (143), still answering the request in flight", async () => {
  // The default bound (5 s) would keep it waiting; the second signal does not.
  const cli = await cliWithHangingRequest([]);
  cli.child.kill("SIGTERM");
  await cli.printed("Stopping host...");
  const signalled = performance.now();
  cli.child.kill("SIGTERM");
  expect(await cli.exited).toBe(143);
  expect(performance.now() - signalled).toBeLessThan(2_000);
  expect(await cli.hanging).toMatchObject({
    status: 503,
    headers: { connection: "close" },
    body: { error: "HostStopping", detail: "The host stopped at once before this request finished." },
  });
  expect(cli.output().stderr).toBe(
    "SIGTERM while stopping: exiting at once\n" +
      "Stopping at once; abandoned what was still running: httpTrigger 'hangForever' (GET /api/hangForever)\n",
  );
});

/** Starts the CLI and waits for "Host started"; resolves with its port, output so far and exit promise. */
async function runningCli(args: string[]) {
  const child = spawnCli(["--app", appDir, "--port", "0", ...args], { WEBSITE_HOSTNAME: "" });
  const out = { stdout: "", stderr: "" };
  child.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out.stdout += d.toString();
      if (out.stdout.includes("Host started")) resolve();
    });
    child.on("exit", () => reject(new Error(`CLI exited early:\n${out.stdout}\n${out.stderr}`)));
  });
  const port = Number(/http:\/\/localhost:(\d+)\/api\/hello/.exec(out.stdout)?.[1]);
  const base = `http://127.0.0.1:${port}/runtime/webhooks/durabletask`;
  return {
    out,
    base,
    async stop(): Promise<number | null> {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

test("the CLI keeps Durable state in its data directory across restarts, refuses a second host on it, and --reset wipes it", async () => {
  const data = tempDataDir("cli-data-");
  const first = await runningCli(["--data", data]);
  expect(first.out.stdout).toContain(`Durable store: SQLite in ${data} (synchronous=normal;`);
  for (let i = 0; i < 3; i++) {
    expect((await fetch(`${first.base}/entities/counter/kept?op=add`, { method: "POST" })).status).toBe(202);
  }
  const started = await fetch(`http://127.0.0.1:${new URL(first.base).port}/api/start/kept`, {
    method: "POST",
  });
  const instanceId = ((await started.json()) as { id: string }).id;

  // A second host on the same directory is refused before it serves anything, and the first is untouched.
  const second = spawnCli(["--app", appDir, "--port", "0", "--data", data]);
  let secondErr = "";
  second.stderr.on("data", (d: Buffer) => (secondErr += d.toString()));
  const secondCode = await new Promise<number | null>((resolve) =>
    second.on("exit", (code) => resolve(code)),
  );
  expect(secondCode).toBe(1);
  expect(secondErr).toContain(`The data directory ${data} is in use by another devhost.`);
  expect(secondErr).not.toMatch(/\n\s+at /);

  expect(await first.stop()).toBe(0);

  const again = await runningCli(["--data", data]);
  const entity = await fetch(`${again.base}/entities/counter/kept`);
  expect(entity.status).toBe(200);
  expect(await entity.json()).toBe(3);
  const status = await fetch(`${again.base}/instances/${instanceId}`);
  expect(await status.json()).toMatchObject({ runtimeStatus: "Completed", output: "KEPT!" });
  expect(await again.stop()).toBe(0);

  const reset = await runningCli(["--data", data, "--reset"]);
  expect(reset.out.stdout).toContain(`Durable store: SQLite in ${data} (synchronous=normal, reset;`);
  expect((await fetch(`${reset.base}/entities/counter/kept`)).status).toBe(404);
  expect((await fetch(`${reset.base}/instances/${instanceId}`)).status).toBe(404);
  expect(await reset.stop()).toBe(0);

  const memory = await runningCli(["--memory"]);
  expect(memory.out.stdout).toContain("Durable store: in memory (lost when the host stops)");
  expect(await memory.stop()).toBe(0);
});
