import { DocFields, indexBase, readAlias } from "@sec-an/contracts";
import type { DocumentStore } from "../src/store/types";
import { scanCollection, type ScanSpec } from "./helpers";

/** Doc types of the ingest scenarios. */
export const SCENARIO_TYPES = ["ports", "cves"];
const T0 = Date.parse("2026-05-01T00:00:00Z");
const MIN = 60_000;

/**
 * A mixed stream of ingest messages for `task` whose end state is known: rescans, a split collection, a
 * late older scan, a newer scan with no documents, a re-parse with changed keys, a duplicate, and input
 * that can never index (malformed, future-dated, oversize). `hosts` repeats the pattern per host group.
 */
export function scenarioMessages(task: string, hosts = 1): { good: string[]; bad: string[] } {
  const good: string[] = [];
  const bad: string[] = [];
  const add = (s: ScanSpec) =>
    good.push(JSON.stringify(scanCollection(task, { docTypes: SCENARIO_TYPES, ...s })));
  for (let g = 0; g < hosts; g++) {
    const h = (n: number) => `10.${Math.floor(g / 250)}.${g % 250}.${n}`;
    add({ host: h(1), end: T0, docs: { ports: ["22", "80"], cves: ["CVE-1"] } });
    add({ host: h(1), end: T0 + MIN, docs: { ports: ["22"] }, part: { index: 0, count: 2 } });
    add({ host: h(1), end: T0 + MIN, docs: { ports: ["443"] }, part: { index: 1, count: 2 } });
    add({ host: h(1), end: T0 - MIN, docs: { ports: ["8080"], cves: ["CVE-0"] } });
    add({ host: h(2), end: T0, docs: { ports: ["1"] } });
    add({ host: h(2), end: T0 + MIN, docs: {} });
    add({ host: h(3), end: T0, docs: { ports: ["22"] }, tag: "v1" });
    add({ host: h(3), end: T0, parsedAt: T0 + 7 * 24 * 60 * MIN, docs: { ports: ["tcp/22"] }, tag: "v2" });
    good.push(good[good.length - 1]); // a duplicate delivery
    bad.push(`{"kind":"collection","task":"${task}","g":${g}`);
    bad.push(
      JSON.stringify(
        scanCollection(task, {
          host: h(4),
          end: Date.parse("2099-01-01T00:00:00Z"),
          docs: { ports: [`${g}`] },
        }),
      ),
    );
    const big = scanCollection(task, { host: h(5), end: T0, docs: { ports: ["1"] } });
    big.docs.ports[0].data.blob = `${g}`.padEnd(210 * 1024, "x");
    bad.push(JSON.stringify(big));
  }
  return { good, bad };
}

/**
 * Everything the scenario's documents left in `task`'s snapshot and history indices, as task-independent
 * `flavour host type:key#tag` strings, sorted: two runs with different task names compare equal when
 * they stored the same things.
 */
export async function storeView(
  store: DocumentStore,
  task: string,
  types = SCENARIO_TYPES,
): Promise<string[]> {
  const out: string[] = [];
  for (const t of types)
    for (const flavour of ["snapshot", "history"] as const) {
      const alias = readAlias(indexBase(task, t, flavour));
      await store.refresh(alias);
      for (const d of await store.search(alias, undefined, 100_000))
        out.push(
          `${flavour} ${String(d.source.address ?? d.source[DocFields.parentKey])} ${t}:${String(d.source.key)}#${String(
            d.source.tag ?? "",
          )}@${String(d.source[DocFields.scanEndTime])}`,
        );
    }
  return out.sort();
}
