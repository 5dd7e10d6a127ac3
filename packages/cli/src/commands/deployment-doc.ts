import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dependencyMermaid } from "@sec-an/contracts";
import { repoRoot } from "@sec-an/contracts/registry";
import { registeredDeps } from "./plan";

const START = "<!-- plan:begin -->";
const END = "<!-- plan:end -->";

/**
 * Rewrite the diagram in docs/deployment-order.md from the registered projects, as `sec-an plan
 * --mermaid` prints it. `npm run docs:deployment-order` runs it, and so does `sec-an new scanner`, so a
 * new project folder needs no hand edit of the doc. Returns the doc's path relative to the root.
 */
export function updateDeploymentDoc(root: string = repoRoot()): string {
  const file = join(root, "docs", "deployment-order.md");
  const text = readFileSync(file, "utf8");
  const i = text.indexOf(START);
  const j = text.indexOf(END);
  if (i < 0 || j < i) throw new Error(`markers ${START} / ${END} not found in ${file}`);
  const next =
    text.slice(0, i + START.length) +
    "\n```mermaid\n" +
    dependencyMermaid(registeredDeps(root)) +
    "```\n" +
    text.slice(j);
  if (next !== text) writeFileSync(file, next);
  return "docs/deployment-order.md";
}
