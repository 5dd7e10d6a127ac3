import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigKeys } from "../src/config";
import { PLUGINS, realtimeTriggers } from "../src/engine";

/** docs/config-scanner.md states what the code does: its plugin table, triggers and config keys. */
const doc = readFileSync(join(__dirname, "../../../docs/config-scanner.md"), "utf8");

test("the plugin table lists exactly the engine's plugins, in order", () => {
  const rows = [...doc.matchAll(/^\| `(\w+)` \| /gm)]
    .map((m) => m[1])
    .filter((n) => n in PLUGINS || /^open/.test(n));
  expect(rows).toEqual(Object.keys(PLUGINS));
});

test("every realtime trigger is named", () => {
  const named = (e: string) =>
    doc.includes(e) || doc.includes(e.replace(/(Ingress|Egress)$/, "Ingress/Egress"));
  for (const t of realtimeTriggers())
    for (const e of t.eventNames) expect({ e, named: named(e) }).toEqual({ e, named: true });
});

test("every stack-config key is documented", () => {
  for (const k of Object.keys(ConfigKeys.properties)) expect(doc).toContain(`\`${k}\``);
});
