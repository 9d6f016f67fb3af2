import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  applyLocalSettings,
  readHostConfig,
  resolveAppSettingRefs,
  resolveEntryFiles,
} from "../../devhost/appLoader";

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
