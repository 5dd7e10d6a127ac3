import { AddressInfo, renderTemplate, savedObjectId } from "@sec-an/contracts";
import { INDICES, SAVED_OBJECTS, SYNCS } from "../src/views/definitions";

describe("DNS view definitions", () => {
  it("keeps the ids of the objects deployed before the one views format", () => {
    const ids = new Set(SAVED_OBJECTS.map((o) => savedObjectId(o.type, o.logicalName)));
    for (const [type, key] of [
      ["search", "changed-address-resolution"],
      ["visualization", "changed-address-resolution"],
      ["search", "upcoming-scans"],
      ["visualization", "recently-scanned"],
      ["visualization", "host-filter"],
      ["dashboard", "dns-ingestion"],
      ["dashboard", "dns-actionable"],
    ] as const)
      expect(ids.has(savedObjectId(type, `task-execution.${key}`))).toBe(true);
  });

  it("renders to valid Dashboards JSON (visState, panelsJSON and searchSourceJSON parse)", () => {
    for (const o of SAVED_OBJECTS) {
      const r = renderTemplate(o.template, { ...o.substitutions, object_title: o.title });
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

  it("both dashboards embed the analytics platform's Dead Letters visualisation and the DNS changes", () => {
    const dash = (t: string) => SAVED_OBJECTS.find((o) => o.type === "dashboard" && o.title === t)!;
    const deadLetters = savedObjectId("visualization", "dead-letters");
    expect(Object.values(dash("DNS Ingestion and Dead Letters").substitutions)).toContain(deadLetters);
    expect(Object.values(dash("Actionable items: DNS changes and DLQs").substitutions)).toEqual([
      deadLetters,
      savedObjectId("visualization", "task-execution.changed-address-resolution"),
      savedObjectId("visualization", "task-execution.changed-host-resolution"),
    ]);
  });
});
