/**
 * Config-scanner handlers: `npm run bench -- config-scanner-handler`. The scan handler (the one
 * EventBridge events reach) and the parser, bundled as deployed, against the 1 MB and 2x-bare-node
 * targets (the same measurement `bench/cold-start.ts` makes for every handler).
 */
import { bundleEntry } from "../packages/components/src/core";
import { scanner } from "../projects/config-scanner/src/scanner";
import { coldStartTable, measureColdStarts } from "./lib/cold-start";

const { bareMs, rows } = measureColdStarts([
  ["scan (events, sweeps)", bundleEntry((scanner.scan as { entry: string }).entry)],
  ["parser", bundleEntry(scanner.parseEntry)],
]);
console.log(coldStartTable(bareMs, rows));
