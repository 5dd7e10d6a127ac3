/**
 * Cold starts of every Lambda handler in the tree: `npm run bench -- cold-start`. The handlers are read
 * off the functions the dev stack's real programs register under the mock engine (so a new handler is
 * measured without an edit here), bundled exactly as deployed (`bundleEntry`), and measured against a bare
 * `node -e 0` on this machine. Targets: bundle ≤ 1 MB, load+init process wall ≤ 2x bare node.
 */
import { join } from "node:path";
import { bundleEntry } from "../packages/components/src/core";
import { runPrograms } from "../packages/cli/src/local/programs";
import { coldStartTable, measureColdStarts } from "./lib/cold-start";

const root = join(__dirname, "..");

(async () => {
  const entries = new Set<string>();
  for (const run of await runPrograms(root, "dev"))
    for (const r of run.records) {
      const entry = r.state.tags?.["sec-an:entry"];
      if (r.type === "aws:lambda/function:Function" && typeof entry === "string") entries.add(entry);
    }
  const bundles = [...entries].sort().map((e) => [e, bundleEntry(join(root, e))] as const);
  const { bareMs, rows } = measureColdStarts(bundles);
  console.log(`${rows.length} handlers (every Lambda function the dev stack's programs register)`);
  console.log(coldStartTable(bareMs, rows));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
