import { parseRouteTemplate } from "../src/http/routeTemplate";
import { RouteTable, type HttpRoute } from "../src/http/routes";
import type { RegisteredFunction } from "../src/functionsCore";

const match = (template: string, path: string): Record<string, string> | undefined =>
  parseRouteTemplate(template).match(path);

test("literals match case-insensitively", () => {
  expect(match("jobs/status", "JOBS/Status")).toEqual({});
  expect(match("jobs/status", "jobs")).toBeUndefined();
});

test("parameters, optional parameters and defaults", () => {
  expect(match("jobs/{name}", "jobs/a%2Fb")).toEqual({ name: "a/b" });
  expect(match("jobs/{name}", "jobs")).toBeUndefined();
  expect(match("jobs/{name?}", "jobs")).toEqual({});
  expect(match("jobs/{page=1}", "jobs")).toEqual({ page: "1" });
  expect(match("jobs/{page=1}", "jobs/3")).toEqual({ page: "3" });
  expect(match("{name?}", "")).toEqual({});
});

test("constraints", () => {
  expect(match("n/{id:int}", "n/-12")).toEqual({ id: "-12" });
  expect(match("n/{id:int}", "n/1.5")).toBeUndefined();
  expect(match("n/{id:long}", "n/99999999999")).toEqual({ id: "99999999999" });
  expect(match("n/{id:int}", "n/99999999999")).toBeUndefined();
  expect(match("n/{x:double}", "n/1.5")).toEqual({ x: "1.5" });
  expect(match("n/{x:bool}", "n/TRUE")).toEqual({ x: "TRUE" });
  expect(match("n/{x:alpha}", "n/abc1")).toBeUndefined();
  expect(match("n/{x:guid}", "n/3F2504E0-4F89-11D3-9A0C-0305E82C3301")).toBeDefined();
  expect(match("n/{x:guid}", "n/3F2504E0")).toBeUndefined();
  expect(match("n/{x:minlength(3):maxlength(4)}", "n/ab")).toBeUndefined();
  expect(match("n/{x:minlength(3):maxlength(4)}", "n/abc")).toEqual({ x: "abc" });
  expect(match("n/{x:length(2)}", "n/abc")).toBeUndefined();
  expect(match("n/{x:range(1,10)}", "n/10")).toEqual({ x: "10" });
  expect(match("n/{x:range(1,10)}", "n/11")).toBeUndefined();
  expect(match("n/{x:min(5)}", "n/4")).toBeUndefined();
  expect(match("n/{x:regex(^j\\d+$)}", "n/J12")).toEqual({ x: "J12" });
  expect(() => parseRouteTemplate("n/{x:nosuch}")).toThrow(/Unsupported route constraint/);
});

test("catch-all and multi-part segments", () => {
  expect(match("files/{*path}", "files/a/b/c")).toEqual({ path: "a/b/c" });
  expect(match("files/{*path}", "files")).toEqual({});
  expect(match("files/{name}.{ext}", "files/report.pdf")).toEqual({ name: "report", ext: "pdf" });
});

function route(name: string, template: string, methods?: string[]): HttpRoute {
  return {
    fn: { metadata: { name, bindings: {} }, callback: () => undefined } as RegisteredFunction,
    name,
    methods,
    authLevel: "anonymous",
    route: parseRouteTemplate(template),
  };
}

test("the route table applies the prefix, methods and precedence order given to it", () => {
  const table = new RouteTable(
    [route("literal", "items/special", ["GET"]), route("param", "items/{name}"), route("any", "{*rest}")],
    "v1",
  );
  expect(table.match("GET", "/v1/items/special")?.route.name).toBe("literal");
  expect(table.match("POST", "/v1/items/special")?.route.name).toBe("param");
  expect(table.match("GET", "/v1/other/thing")?.route.name).toBe("any");
  expect(table.match("GET", "/v1")?.route.name).toBe("any");
  expect(table.match("GET", "/v10/items/x")).toBeUndefined();
  expect(table.match("GET", "/items/x")).toBeUndefined();
  const noPrefix = new RouteTable([route("param", "items/{name}")], "");
  expect(noPrefix.match("GET", "/items/x")?.params).toEqual({ name: "x" });
});
