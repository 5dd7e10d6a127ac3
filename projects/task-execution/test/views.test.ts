import { AddressInfo, renderTemplate, savedObjectId } from "@sec-an/contracts";
import { INDICES, SAVED_OBJECTS, SYNCS, objectRef } from "../src/views/definitions";
import { logicalName } from "../src/views/dns-views";

const placeholders = (template: unknown) =>
  [...JSON.stringify(template).matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]);

describe("DNS view definitions", () => {
  it("gives every saved object a distinct title (the original had several sharing one) and a distinct id", () => {
    const titles = SAVED_OBJECTS.map((o) => o.title);
    expect(new Set(titles).size).toBe(titles.length);
    const ids = SAVED_OBJECTS.map((o) => savedObjectId(o.type, logicalName(o.key)));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("defines every placeholder a template uses, from an index, an earlier object or SSM", () => {
    const seen = new Set<string>();
    const indexKeys = new Set(INDICES.map((i) => i.key));
    for (const o of SAVED_OBJECTS) {
      const used = new Set(placeholders(o.template));
      used.delete("object_title");
      expect([...used].sort()).toEqual(Object.keys(o.substitutions).sort());
      for (const src of Object.values(o.substitutions)) {
        if ("index" in src) expect(indexKeys.has(src.index)).toBe(true);
        if ("object" in src) expect(seen.has(src.object)).toBe(true); // defined before use
      }
      seen.add(objectRef(o));
    }
  });

  it("renders to valid Dashboards JSON (visState, panelsJSON and searchSourceJSON parse)", () => {
    for (const o of SAVED_OBJECTS) {
      const vars = Object.fromEntries(Object.keys(o.substitutions).map((k) => [k, `id-${k}`]));
      const r = renderTemplate(o.template, { ...vars, object_title: o.title });
      const a = r.attributes as Record<string, string> & {
        kibanaSavedObjectMeta: { searchSourceJSON: string };
      };
      expect(a.title).toBe(o.title);
      JSON.parse(a.kibanaSavedObjectMeta.searchSourceJSON);
      if (o.type === "visualization") expect(JSON.parse(a.visState).title).toBe(o.title);
      if (o.type === "dashboard") expect(JSON.parse(a.panelsJSON)).toHaveLength(r.references!.length);
    }
  });

  it('"Recently Scanned" reads the field the nmap parser writes', () => {
    const v = SAVED_OBJECTS.find((o) => o.title === "Recently Scanned")!;
    const state = JSON.parse(v.template.attributes.visState as string);
    expect(state.aggs[0].params.field).toBe(AddressInfo.lastScanResultsParsed);
    const mapping = INDICES.find((i) => i.key === "addressInfo")!.mappings as {
      properties: Record<string, { type: string }>;
    };
    expect(mapping.properties[AddressInfo.lastScanResultsParsed].type).toBe("date");
  });

  it("maps every field the syncs write; times as dates that accept ISO (…Time, converted by the sync) and epoch seconds (the rest)", () => {
    for (const ix of INDICES) {
      const props = (ix.mappings as { properties: Record<string, { type: string; format?: string }> })
        .properties;
      for (const [field, m] of Object.entries(props)) {
        if (field.endsWith("Time") || field.endsWith("Queued") || field.endsWith("Parsed"))
          expect(m).toEqual({ type: "date", format: "strict_date_optional_time||epoch_second" });
      }
    }
    const diffed = SYNCS.filter((s) => s.diffColumn).map((s) => [s.task, s.diffColumn]);
    expect(diffed).toEqual([
      ["resolved_addresses", "Hosts"],
      ["resolved_hosts", "Addresses"],
    ]);
    for (const [task, col] of diffed) {
      const props = (
        INDICES.find((i) => i.base === `${task}_data_snapshot`)!.mappings as {
          properties: Record<string, unknown>;
        }
      ).properties;
      expect(Object.keys(props)).toEqual(expect.arrayContaining([col, `${col}_added`, `${col}_removed`]));
    }
  });

  it("dashboards hold the panels of reference §5.3", () => {
    const dash = (t: string) => SAVED_OBJECTS.find((o) => o.type === "dashboard" && o.title === t)!;
    expect(Object.keys(dash("DNS Ingestion and Dead Letters").substitutions)).toHaveLength(10);
    expect(Object.values(dash("Actionable items: DNS changes and DLQs").substitutions)).toEqual([
      { param: "deadLetterVisId" },
      { object: "visualization:changed-address-resolution" },
      { object: "visualization:changed-host-resolution" },
    ]);
  });
});
