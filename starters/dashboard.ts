/**
 * The operator dashboard:
 * - `GET /api/dashboard` (anonymous): one self-contained HTML page (no CDN, nothing fetched from
 *   elsewhere) that reads the JSON API. The page holds no data; the API behind it asks for keys, and the
 *   page asks the operator for one when the API answers 401.
 * - `GET /api/orchestrators`: the registered singleton orchestrators and the policies, for its start form.
 *
 * The page is assembled once per process from `dashboard/page.html` and the compiled browser scripts in
 * `dist/dashboard/` (`npm run build` compiles `dashboard/*.ts` there). A Content-Security-Policy allows
 * exactly its own inline script and style (by hash) and requests to its own origin, so even a bug that put
 * data into markup could not run a script.
 */
import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { settings } from "../core/config";
import { knownOrchestrators } from "../core/orchestratorCatalog";
import { POLICIES } from "../core/types";
import { httpHandler, json } from "./httpResponses";

/** The compiled browser scripts, in the order they run (each is a plain script; `main` starts the page). */
export const CLIENT_SCRIPTS = ["dom", "api", "jobsTable", "jobDetails", "actions", "main"] as const;

/** The app root: the first directory above this module with a package.json (from dist/starters/ or starters/). */
function appRoot(): string {
  let dir = path.dirname(__dirname);
  while (!existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** Where the page's files are: the template in the app's dashboard/, the compiled scripts in dist/dashboard/. */
export function dashboardFiles(root = appRoot()) {
  return {
    page: path.join(root, "dashboard", "page.html"),
    scripts: CLIENT_SCRIPTS.map((name) => path.join(root, "dist", "dashboard", `${name}.js`)),
  };
}

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

export interface DashboardPage {
  html: string;
  headers: Record<string, string>;
}

/** Puts the scripts into the page (one inline script, run in its own scope) and derives its headers. */
export function assemblePage(template: string, scripts: string[]): DashboardPage {
  const script = `(() => {\n"use strict";\n${scripts.join("\n")}\n})();\n`;
  if (/<\/script/i.test(script)) throw new Error("A dashboard script contains '</script'.");
  const marker = "<script></script>";
  if (template.split(marker).length !== 2) throw new Error(`dashboard/page.html must hold one ${marker}.`);
  const html = template.replace(marker, () => `<script>${script}</script>`);
  const style = /<style>([\s\S]*?)<\/style>/.exec(template)?.[1];
  if (style === undefined) throw new Error("dashboard/page.html must hold one <style>.");
  return {
    html,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": [
        "default-src 'none'",
        `script-src ${sha256(script)}`,
        `style-src ${sha256(style)}`,
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join("; "),
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cache-Control": "no-store",
    },
  };
}

let cached: DashboardPage | undefined;

function read(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`The dashboard is not built (${(error as Error).message}): run npm run build.`);
  }
}

export function loadDashboardPage(files = dashboardFiles()): DashboardPage {
  cached ??= assemblePage(read(files.page), files.scripts.map(read));
  return cached;
}

export async function dashboardPage(): Promise<HttpResponseInit> {
  const page = loadDashboardPage();
  return { status: 200, body: page.html, headers: page.headers };
}

export async function listOrchestrators(_request: HttpRequest): Promise<HttpResponseInit> {
  return json(200, {
    orchestrators: [...knownOrchestrators()].sort(),
    policies: POLICIES,
    defaultPolicy: settings().defaultPolicy,
  });
}

app.http("dashboard", {
  route: "dashboard",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: httpHandler(dashboardPage),
});

app.http("orchestratorList", {
  route: "orchestrators",
  methods: ["GET"],
  authLevel: "function",
  handler: httpHandler(listOrchestrators),
});
