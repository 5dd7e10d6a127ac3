// Regenerates the diagram in docs/deployment-order.md from the registered projects' SSM dependencies
// (`npm run docs:deployment-order`), as `sec-an plan --mermaid` prints it; a test fails when it is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dependencyMermaid } from "@sec-an/contracts";
import { registeredDeps } from "../packages/cli/src/commands/plan";

const file = join(__dirname, "../docs/deployment-order.md");
const text = readFileSync(file, "utf8");
const start = "<!-- plan:begin -->";
const end = "<!-- plan:end -->";
const i = text.indexOf(start);
const j = text.indexOf(end);
if (i < 0 || j < i) throw new Error(`markers ${start} / ${end} not found in ${file}`);
writeFileSync(
  file,
  text.slice(0, i + start.length) +
    "\n```mermaid\n" +
    dependencyMermaid(registeredDeps()) +
    "```\n" +
    text.slice(j),
);
