import { scanner } from "../src/scanner";

/** The open-to-the-world views count security groups, not documents (one per plugin and group). */
test("open-by-port, -account and -region count distinct groups, as open-count does", () => {
  for (const name of ["open-by-port", "open-by-account", "open-by-region", "open-count"]) {
    const o = scanner.views!.savedObjects.find((s) => s.logicalName === `config-scanner.${name}`);
    expect(o).toBeDefined();
    const vis = JSON.parse(String((o!.template.attributes as { visState: string }).visState)) as {
      aggs: { type: string; schema: string; params: { field?: string } }[];
    };
    const metric = vis.aggs.find((a) => a.schema === "metric");
    expect(metric).toMatchObject({ type: "cardinality", params: { field: "group_id" } });
  }
});
