// Regenerates the diagram in docs/deployment-order.md from the SSM dependency declarations
// (`npm run docs:deployment-order`); a test fails when the committed diagram is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dependencyMermaid } from "@sec-an/contracts";

const file = join(__dirname, "../docs/deployment-order.md");
const text = readFileSync(file, "utf8");
const start = "<!-- plan:begin -->";
const end = "<!-- plan:end -->";
const i = text.indexOf(start);
const j = text.indexOf(end);
if (i < 0 || j < i) throw new Error(`markers ${start} / ${end} not found in ${file}`);
writeFileSync(
  file,
  text.slice(0, i + start.length) + "\n```mermaid\n" + dependencyMermaid() + "```\n" + text.slice(j),
);
