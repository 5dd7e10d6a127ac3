import { renderTemplate } from "@sec-an/contracts";
import { INDICES, MAPPINGS, nmapSavedObjects, savedObjects } from "../src/views/definitions";
import { fixture, parseDocs, rawResult } from "./helpers";

const objects = savedObjects();

/** Dotted field names of a mapping (object properties flattened, sub-fields ignored). */
function fieldsOf(props: Record<string, any>, prefix = ""): string[] {
  return Object.entries(props).flatMap(([k, v]) => [
    `${prefix}${k}`,
    ...(v.properties ? fieldsOf(v.properties, `${prefix}${k}.`) : []),
  ]);
}

describe("nmap views", () => {
  it("has a snapshot and a history index for every document type", () => {
    expect(INDICES.map((i) => i.base).sort()).toEqual(
      ["data", "ports", "os", "cves", "ssl_protos", "ssl_ciphers", "ssl_cert"]
        .flatMap((t) => [`nmap_${t}_snapshot`, `nmap_${t}_history`])
        .sort(),
    );
  });

  it("uses unique titles and keys, and none of the original's names", () => {
    const titles = objects.map((o) => o.title);
    expect(new Set(titles).size).toBe(titles.length);
    expect(new Set(objects.map((o) => o.key)).size).toBe(objects.length);
    for (const t of titles) expect(t).not.toMatch(/MoJ|Analaysis/i);
    expect(objects.filter((o) => o.type === "dashboard").length).toBeGreaterThanOrEqual(7);
  });

  it("maps every field the parser writes", () => {
    const docs = [
      ...parseDocs(rawResult(fixture("loopback-http-tls.xml"))).byHost.values(),
      ...parseDocs(rawResult(fixture("vulners-formats.xml"))).byHost.values(),
      ...parseDocs(rawResult(fixture("os-down-unknown.xml"))).byHost.values(),
    ];
    for (const host of docs) {
      for (const [type, list] of Object.entries(host)) {
        const known = new Set(fieldsOf(MAPPINGS[type].properties));
        for (const d of list) {
          for (const k of Object.keys(d)) {
            // vulners' newer table fields (e.g. epss) are open-ended and mapped dynamically.
            if (type === "cves" && k === "epss") continue;
            expect({ type, field: k, mapped: known.has(k) }).toEqual({ type, field: k, mapped: true });
          }
        }
      }
    }
  });

  it("renders every template with its placeholders, and dashboards reference defined objects", () => {
    for (const o of nmapSavedObjects()) {
      const vars = Object.fromEntries(
        [...Object.keys(o.substitutions), "object_title"].map((k) => [k, `id-${k}`]),
      );
      const rendered = renderTemplate(o.template, vars);
      expect(JSON.stringify(rendered)).not.toContain("${");
      if (o.type !== "dashboard") {
        const visState = rendered.attributes.visState as string | undefined;
        if (visState) expect(JSON.parse(visState).title).toBe("id-object_title");
        // A filter control names its index per control, not in the search source.
        if (visState && JSON.parse(visState).type === "input_control_vis") continue;
        expect(
          JSON.parse(
            (rendered.attributes.kibanaSavedObjectMeta as { searchSourceJSON: string }).searchSourceJSON,
          ).indexRefName,
        ).toBe("kibanaSavedObjectMeta.searchSourceJSON.index");
      } else {
        const panels = JSON.parse(rendered.attributes.panelsJSON as string);
        expect(rendered.references).toHaveLength(panels.length);
      }
    }
  });
});
