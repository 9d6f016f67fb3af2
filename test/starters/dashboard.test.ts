/**
 * The dashboard function: the page it assembles (one inline script and style, allowed by hash and by
 * nothing else), the files it reads where `npm run build` puts them and `.funcignore` keeps them, and
 * the orchestrators route of the start form.
 */
jest.mock("@azure/functions-core", () => jest.requireActual("../helpers/fakeFunctionsCore"), {
  virtual: true,
});

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { HttpRequest } from "@azure/functions";
import "../../orchestrators/exampleJobs";
import {
  assemblePage,
  dashboardFiles,
  dashboardPage,
  listOrchestrators,
  loadDashboardPage,
} from "../../starters/dashboard";

const ROOT = path.resolve(__dirname, "..", "..");
const TEMPLATE = `<html><head><style>body { color: red; }</style></head><body><script></script></body></html>`;

const hashOf = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

describe("assemblePage", () => {
  test("inlines the scripts in one scope and allows exactly them and the style by hash", () => {
    const page = assemblePage(TEMPLATE, ["const a = 1;", "const b = a + 1;"]);
    const script = /<script>([\s\S]*)<\/script>/.exec(page.html)?.[1] ?? "";
    expect(script).toBe('(() => {\n"use strict";\nconst a = 1;\nconst b = a + 1;\n})();\n');
    expect(page.headers["Content-Security-Policy"]).toBe(
      `default-src 'none'; script-src ${hashOf(script)}; style-src ${hashOf("body { color: red; }")}; ` +
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(page.headers).toMatchObject({
      "Content-Type": "text/html; charset=utf-8",
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "no-store",
    });
  });

  test("refuses a script that would end the inline script, and a template without its one marker", () => {
    expect(() => assemblePage(TEMPLATE, ["const s = '</SCRIPT>';"])).toThrow("contains '</script'");
    expect(() => assemblePage("<style></style>", ["x"])).toThrow("must hold one <script></script>");
    expect(() => assemblePage("<script></script>", ["x"])).toThrow("must hold one <style>");
  });

  test("a '$' in a script is kept as it is (no replacement pattern)", () => {
    expect(assemblePage(TEMPLATE, ["const d = '$&$1';"]).html).toContain("const d = '$&$1';");
  });
});

describe("the built page", () => {
  test("npm run build put every file the function reads in place, and .funcignore keeps them", () => {
    const files = dashboardFiles(ROOT);
    const all = [files.page, ...files.scripts];
    for (const file of all) expect([file, existsSync(file)]).toEqual([file, true]);
    // .funcignore patterns as Core Tools applies them (gitignore rules): a pattern without a slash
    // matches any path segment, one with a slash matches from the app root.
    const patterns = readFileSync(path.join(ROOT, ".funcignore"), "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith("#"));
    const glob = (pattern: string) =>
      new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);
    const ignored = (relative: string) =>
      patterns.some((p) =>
        p.includes("/")
          ? relative === p || relative.startsWith(`${p.replace(/\/$/, "")}/`)
          : relative.split("/").some((segment) => glob(p).test(segment)),
      );
    expect(all.map((file) => path.relative(ROOT, file)).filter(ignored)).toEqual([]);
    // ...while the sources stay out of the deployment.
    expect(ignored("dashboard/main.ts")).toBe(true);
  });

  test("GET /api/dashboard serves it with its headers, every script inside", async () => {
    const res = await dashboardPage();
    expect(res.status).toBe(200);
    const page = loadDashboardPage(dashboardFiles(ROOT));
    expect(res.body).toBe(page.html);
    expect(res.headers).toBe(page.headers);
    for (const file of dashboardFiles(ROOT).scripts) expect(page.html).toContain(readFileSync(file, "utf8"));
    expect(page.html.match(/<script/g)).toHaveLength(1);
  });
});

test("GET /api/orchestrators lists the registered singleton orchestrators and the policies", async () => {
  const res = await listOrchestrators(
    new HttpRequest({ method: "GET", url: "http://localhost/api/orchestrators" }),
  );
  expect(res).toMatchObject({
    status: 200,
    jsonBody: {
      orchestrators: ["monitorJob", "reportJob"],
      policies: ["reject", "useExisting", "replace", "queue"],
      defaultPolicy: "reject",
    },
  });
});
