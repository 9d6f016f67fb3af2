import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  applyLocalSettings,
  loadApp,
  readHostConfig,
  resolveAppSettingRefs,
  resolveEntryFiles,
} from "../src/appLoader";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "devhost-app-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const write = (rel: string, text: string): void => {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
};

test("host.json defaults", () => {
  expect(readHostConfig(dir)).toEqual({
    routePrefix: "api",
    hubName: "TestHubName",
    overridableExistingInstanceStates: undefined,
  });
});

test("host.json route prefix, hub name and overridable states", () => {
  write(
    "host.json",
    JSON.stringify({
      extensions: {
        http: { routePrefix: "/v1/" },
        durableTask: { hubName: "Hub", overridableExistingInstanceStates: "NonRunningStates" },
      },
    }),
  );
  expect(readHostConfig(dir)).toEqual({
    routePrefix: "v1",
    hubName: "Hub",
    overridableExistingInstanceStates: "NonRunningStates",
  });
  write("host.json", JSON.stringify({ extensions: { http: { routePrefix: "" } } }));
  expect(readHostConfig(dir).routePrefix).toBe("");
});

test("local.settings.json Values fill the environment without overriding it", () => {
  write("local.settings.json", JSON.stringify({ Values: { A: "from-file", B: "from-file", N: 3 } }));
  const env: NodeJS.ProcessEnv = { A: "already" };
  expect(applyLocalSettings(dir, env)).toEqual(["B", "N"]);
  expect(env).toEqual({ A: "already", B: "from-file", N: "3" });
});

test("%SETTING% references", () => {
  expect(resolveAppSettingRefs("%X%-%MISSING%", { X: "1" })).toBe("1-%MISSING%");
});

test("package.json main may be a glob", () => {
  write("package.json", JSON.stringify({ main: "dist/{a,b}/*.js" }));
  write("dist/a/one.js", "");
  write("dist/b/two.js", "");
  write("dist/c/three.js", "");
  expect(resolveEntryFiles(dir).map((f) => path.relative(dir, f))).toEqual([
    path.join("dist", "a", "one.js"),
    path.join("dist", "b", "two.js"),
  ]);
});

test("a missing entry file is a clear error", () => {
  write("package.json", JSON.stringify({ main: "dist/index.js" }));
  expect(() => resolveEntryFiles(dir)).toThrow(
    /No entry files match package.json "main" \("dist\/index.js"\)/,
  );
});

describe("apps the devhost cannot load are reported by name", () => {
  const fixtures = path.join(__dirname, "fixtures");

  test("a v3 programming model app names a function.json it found", () => {
    expect(() => loadApp(path.join(fixtures, "v3-app"))).toThrow(
      `${path.join(fixtures, "v3-app")} is a v3 programming model app (found HttpHello/function.json): ` +
        "the devhost runs the v4 programming model only",
    );
  });

  test("an entry file that does not parse is named, with the parser's error", () => {
    let error: Error | undefined;
    try {
      loadApp(path.join(fixtures, "broken-entry-app"));
    } catch (err) {
      error = err as Error;
    }
    // nodejs-worker src/startApp.ts: `Worker was unable to load entry point "<file>": <message>`.
    // (Under jest the parser's error carries no location; cli.test.ts checks it under plain Node.)
    expect(error?.message).toMatch(
      /^Worker was unable to load entry point "src\/parse-error\.js": (SyntaxError: )?Unexpected token '\)'/,
    );
  });

  test("an entry file that throws while loading is named, with its error", () => {
    expect(() => loadApp(path.join(fixtures, "throwing-entry-app"))).toThrow(
      /^Worker was unable to load entry point "src\/index\.js": THROWING_FIXTURE_CONNECTION is not set \(at .*throwing-entry-app\/src\/index\.js:3:\d+\)$/,
    );
  });
});
