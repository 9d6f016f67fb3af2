/**
 * 5 MB through the whole engine (run on every store by the devhost, devhost:copying and devhost:sqlite
 * projects): an orchestration's input, an activity's input and result, an entity's state, an entity call's
 * answer and the orchestration's output all come back intact.
 */
import * as df from "durable-functions";
import { createHarness, TestInvoker, type Harness } from "./harness";

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

const FIVE_MB = 5 * 1024 * 1024;

/** A 5 MB string that is not one repeated character, so a truncated or mixed-up copy shows. */
function bigText(seed: string): string {
  const block = Array.from({ length: 1024 }, (_, i) => `${seed}${i.toString(36)}`).join("|");
  return block.repeat(Math.ceil(FIVE_MB / block.length)).slice(0, FIVE_MB);
}

function bigApp(): TestInvoker {
  return new TestInvoker()
    .activity("Reverse", (input) => (input as string).split("").reverse().join(""))
    .entity("Holder", (ctx) => {
      if (ctx.df.operationName === "set") ctx.df.setState(ctx.df.getInput());
      else ctx.df.return(ctx.df.getState(() => ""));
    })
    .orchestration("Big", function* (ctx) {
      const input = ctx.df.getInput() as string;
      const reversed: string = yield ctx.df.callActivity("Reverse", input);
      const holder = new df.EntityId("Holder", "big");
      yield ctx.df.callEntity(holder, "set", reversed);
      const held: string = yield ctx.df.callEntity(holder, "get");
      return { input, held };
    });
}

test("a 5 MB input, activity result, entity state and output round-trip", async () => {
  h = createHarness(bigApp());
  const input = bigText("in");
  const reversed = input.split("").reverse().join("");
  const id = await h.start("Big", input);
  await h.settle();
  const status = await h.status(id);
  expect(status.runtimeStatus).toBe("Completed");
  const output = status.output as { input: string; held: string };
  expect(output.input.length).toBe(FIVE_MB);
  expect(output.input === input).toBe(true);
  expect(output.held === reversed).toBe(true);
  expect(((await h.status(id, "showInput=true")).input as string) === input).toBe(true);
  const entity = await h.call("GET", "entities/Holder/big");
  expect(entity.status).toBe(200);
  expect(entity.body === reversed).toBe(true);
});
