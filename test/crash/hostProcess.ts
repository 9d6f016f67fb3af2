/**
 * The devhost CLI (the devhost package's dist/cli.js, built by `npm test`) as a child process on a SQLite
 * data directory, for tests that kill it for real: with SIGKILL from outside, or at a named kill point
 * (DEVHOST_KILL_AT, see devhost/src/durable/killPoints.ts). A restart reuses the data directory and the port.
 * `--test-hooks` gives `idle()`: one request answered once the host is quiescent.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SqliteStore } from "durable-functions-devhost";
import { jsonRequest, REPO_ROOT, type Reply } from "../e2e/appHost";

export type { Reply };

export const CRASH_APP = path.join(REPO_ROOT, "test", "fixtures", "crash-app");
const CLI = require.resolve("durable-functions-devhost/dist/cli.js");

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface HostOptions {
  dataDir: string;
  port?: number;
  /** Kill point for this process: DEVHOST_KILL_AT and DEVHOST_KILL_MATCH. */
  killAt?: string;
  killMatch?: string;
  env?: Record<string, string>;
}

/** One run of the host process. */
export class HostProcess {
  stdout = "";
  stderr = "";
  readonly exited: Promise<Exit>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    exited: Promise<Exit>,
    output: { stdout: string; stderr: string },
  ) {
    this.exited = exited;
    this.stdout = output.stdout;
    this.stderr = output.stderr;
    child.stdout?.on("data", (d: Buffer) => (this.stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (this.stderr += d.toString()));
  }

  static async start(options: HostOptions): Promise<HostProcess> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      WEBSITE_HOSTNAME: "",
      // No eternal jobs unless the test names its own file: only the test's work runs.
      SINGLETON_JOBS_FILE: path.join(CRASH_APP, "singleton.jobs.json"),
      ...options.env,
    };
    delete env.DEVHOST_KILL_AT;
    delete env.DEVHOST_KILL_MATCH;
    if (options.killAt) env.DEVHOST_KILL_AT = options.killAt;
    if (options.killMatch) env.DEVHOST_KILL_MATCH = options.killMatch;
    const args = [CLI, "--app", CRASH_APP, "--data", options.dataDir, "--port", String(options.port ?? 0)];
    const child = spawn(process.execPath, [...args, "--test-hooks", "--quiet"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    const output = { stdout: "", stderr: "" };
    const onOut = (d: Buffer) => (output.stdout += d.toString());
    const onErr = (d: Buffer) => (output.stderr += d.toString());
    child.stdout.on("data", onOut);
    child.stderr.on("data", onErr);
    const exited = new Promise<Exit>((resolve) =>
      child.on("exit", (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      }),
    );
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (output.stdout.includes("Host started")) resolve();
      };
      child.stdout.on("data", check);
      void exited.then((exit) =>
        reject(
          new Error(
            `host exited before starting (${JSON.stringify(exit)}):\n${output.stdout}\n${output.stderr}`,
          ),
        ),
      );
    });
    child.stdout.off("data", onOut);
    child.stderr.off("data", onErr);
    const port = Number(/http:\/\/localhost:(\d+)\/api\//.exec(output.stdout)?.[1]);
    return new HostProcess(child, port, exited, output);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  request(
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    return jsonRequest(this.baseUrl, method, route, body, headers);
  }

  /** Resolves once the host is quiescent (nothing in flight, no due timer). */
  async idle(): Promise<void> {
    const reply = await this.request("POST", "/admin/devhost/idle");
    if (reply.status !== 200) throw new Error(`idle: ${reply.status} ${JSON.stringify(reply.body)}`);
  }

  async instance(instanceId: string): Promise<Record<string, unknown>> {
    return (
      await this.request("GET", `/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}`)
    ).body;
  }

  /** SIGTERM, and the exit. */
  async stop(): Promise<Exit> {
    this.child.kill("SIGTERM");
    return this.exited;
  }

  /** SIGKILL from outside, and the exit. */
  async kill(): Promise<Exit> {
    this.child.kill("SIGKILL");
    return this.exited;
  }
}

const running = new Set<ChildProcess>();

/** Kills whatever a failed test left running (jest would wait for it). */
export function killLeftovers(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** What the stopped host left in its store: messages (timers included) and instances not ended. */
export function leftovers(dataDir: string): { messages: string[]; liveInstances: string[] } {
  const store = new SqliteStore(dataDir);
  try {
    return {
      messages: store.allMessages().map((m) => `${m.id} -> ${m.target}`),
      liveInstances: store
        .queryInstances({ runtimeStatus: ["Pending", "Running", "Suspended"] })
        .map((r) => `${r.instanceId} ${r.runtimeStatus}`),
    };
  } finally {
    store.close();
  }
}
