// Regenerates the priced example in docs/cost.md from the dev stack's programs (`npm run docs:cost`);
// a test fails when it is stale.
import { join } from "node:path";
import { updateCostDoc } from "../packages/cli/src/commands/cost";

void updateCostDoc(join(__dirname, ".."));
