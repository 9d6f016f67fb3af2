/** Child-process entry: runs one start storm (`storm.ts`) with the options sent by the parent, replies, exits. */
import { runStorm, type StormOptions } from "./storm";

process.once("message", (options: StormOptions) => {
  runStorm(options).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (error: unknown) =>
      process.send?.({ ok: false, error: (error as Error)?.stack ?? String(error) }, () => process.exit(1)),
  );
});
