/** Input depth: a hostile nesting depth is measured without recursion and refused before anything is decided. */
import { jsonDepth, MAX_INPUT_DEPTH, parseStartRequest } from "../../core/validation";

const nested = (depth: number) => JSON.parse("[".repeat(depth) + "]".repeat(depth)) as unknown;

test("jsonDepth counts nesting levels of arrays and objects, scalars are 0", () => {
  expect([
    jsonDepth(1),
    jsonDepth(null),
    jsonDepth("x"),
    jsonDepth({}),
    jsonDepth({ a: [1, { b: 2 }] }),
  ]).toEqual([0, 0, 0, 1, 3]);
  expect(jsonDepth(nested(100_000))).toBe(100_000); // no stack overflow
});

test("a start request whose input nests deeper than the limit is a 400 naming the input", () => {
  const known = new Set(["o"]);
  const body = (input: unknown) => JSON.stringify({ orchestrator: "o", input });
  expect(parseStartRequest(body(nested(MAX_INPUT_DEPTH)), null, "reject", known)).toMatchObject({
    orchestrator: "o",
  });
  const deepText = `{"orchestrator":"o","input":${"[".repeat(5000)}${"]".repeat(5000)}}`;
  expect(parseStartRequest(deepText, null, "reject", known)).toEqual({
    status: 400,
    error: "input too deep",
    field: "input",
    detail: `'input' may nest at most ${MAX_INPUT_DEPTH} levels`,
  });
});
