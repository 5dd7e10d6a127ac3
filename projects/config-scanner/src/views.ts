import {
  CONFIG_SCANNER_TASK,
  NMAP_TASK,
  NmapDocType,
  renderSavedObjects,
  savedObjectId,
  type SavedObjectDecl,
} from "@sec-an/contracts";

/**
 * The exposure join: config findings beside what nmap found answering on the same addresses. A search
 * on nmap's ports snapshot (whose index pattern the nmap project creates, with an id derived from the
 * index name) and the open-to-the-world search share one dashboard, so one query on an address (e.g.
 * `address: 203.0.113.7 or public_ips: 203.0.113.7`) shows the rule and the port actually answering.
 */
const PREFIX = `${CONFIG_SCANNER_TASK}.`;
const OPEN = `${PREFIX}open-to-world`;
const NMAP_OPEN = `${PREFIX}nmap-open-ports`;

export function exposureObjects(): SavedObjectDecl[] {
  const [nmapSearch] = renderSavedObjects(
    NMAP_TASK,
    {
      searches: [
        {
          name: "nmap-open-ports",
          title: "Config exposure: ports nmap found open",
          index: NmapDocType.ports,
          query: "state: open",
          columns: ["address", "port_id", "protocol", "service", "product", "version"],
          sort: [["scan_end_time", "desc"]],
        },
      ],
    },
    PREFIX,
  );
  // nmap's index is another project's: referenced by its id, not created (or waited for) here.
  const search = { ...nmapSearch, dependsOn: [] };
  const panels = [OPEN, NMAP_OPEN];
  const dashboard: SavedObjectDecl = {
    type: "dashboard",
    logicalName: `${PREFIX}exposure`,
    title: "Config exposure: open to the world and answering",
    template: {
      attributes: {
        title: "${object_title}",
        description:
          "Security groups open to the world (left) beside the ports nmap found open (right). Query an address, e.g. public_ips: 203.0.113.7 or address: 203.0.113.7",
        panelsJSON: JSON.stringify(
          panels.map((_, i) => ({
            panelIndex: String(i + 1),
            gridData: { x: i * 24, y: 0, w: 24, h: 20, i: String(i + 1) },
            embeddableConfig: {},
            panelRefName: `panel_${i}`,
          })),
        ),
        optionsJSON: JSON.stringify({ useMargins: true, hidePanelTitles: false }),
        timeRestore: false,
        kibanaSavedObjectMeta: {
          searchSourceJSON: JSON.stringify({ query: { query: "", language: "kuery" }, filter: [] }),
        },
      },
      references: panels.map((_, i) => ({ name: `panel_${i}`, type: "search", id: `\${panel_${i}}` })),
    },
    substitutions: Object.fromEntries(panels.map((p, i) => [`panel_${i}`, savedObjectId("search", p)])),
    dependsOn: panels,
  };
  return [search, dashboard];
}
