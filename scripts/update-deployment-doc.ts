// Regenerates the diagram in docs/deployment-order.md from the registered projects' SSM dependencies
// (`npm run docs:deployment-order`); a test fails when it is stale.
import { join } from "node:path";
import { updateDeploymentDoc } from "../packages/cli/src/commands/deployment-doc";

updateDeploymentDoc(join(__dirname, ".."));
