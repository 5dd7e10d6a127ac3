/**
 * The DNS views (reference §5.3) as data: which tables are synced into which indices, and the
 * Dashboards searches, visualisations and dashboards over them. Pure, so tests check titles,
 * placeholders and fields without Pulumi; `DnsViews` turns it into resources.
 */
import {
  AddressInfo,
  PlatformIndex,
  ResolvedAddresses,
  ResolvedHosts,
  indexBase,
  type SavedObjectType,
} from "@sec-an/contracts";
import addressInfoMapping from "../../views/mappings/address_info.json";
import resolvedAddressesMapping from "../../views/mappings/resolved_addresses.json";
import resolvedHostsMapping from "../../views/mappings/resolved_hosts.json";

export type TableKey = "addressInfo" | "resolvedAddresses" | "resolvedHosts";

export interface SyncDef {
  readonly table: TableKey;
  readonly task: string;
  readonly docType: string;
  readonly keyFields: string[];
  readonly temporalKeyField?: string;
  readonly diffColumn?: string;
}

export interface IndexDef {
  /** Key other definitions refer to. */
  readonly key: string;
  readonly base: string;
  readonly mappings: Record<string, unknown>;
  readonly timeField?: string;
}

/** Where a placeholder's value comes from. */
export type Source =
  { readonly index: string } | { readonly object: string } | { readonly param: "deadLetterVisId" };

export interface SavedObjectDef {
  readonly key: string;
  readonly type: SavedObjectType;
  readonly title: string;
  readonly template: { attributes: Record<string, unknown>; references?: Record<string, unknown>[] };
  /** Placeholder name → where its value comes from (`object_title` is always given). */
  readonly substitutions: Record<string, Source>;
}

const AI = PlatformIndex.addressInfo;
const RA = PlatformIndex.resolvedAddresses;
const RH = PlatformIndex.resolvedHosts;

export const SYNCS: readonly SyncDef[] = [
  // No temporal key: one snapshot document per address.
  { table: "addressInfo", task: AI.task, docType: AI.docType, keyFields: [AddressInfo.address] },
  {
    table: "resolvedAddresses",
    task: RA.task,
    docType: RA.docType,
    keyFields: [ResolvedAddresses.address],
    temporalKeyField: ResolvedAddresses.dnsIngestTime,
    diffColumn: ResolvedAddresses.hosts,
  },
  {
    table: "resolvedHosts",
    task: RH.task,
    docType: RH.docType,
    keyFields: [ResolvedHosts.host],
    temporalKeyField: ResolvedHosts.dnsIngestTime,
    diffColumn: ResolvedHosts.addresses,
  },
];

export const INDICES: readonly IndexDef[] = [
  { key: "addressInfo", base: indexBase(AI.task, AI.docType, "snapshot"), mappings: addressInfoMapping },
  {
    key: "resolvedAddresses",
    base: indexBase(RA.task, RA.docType, "snapshot"),
    mappings: resolvedAddressesMapping,
    timeField: ResolvedAddresses.dnsIngestTime,
  },
  {
    key: "resolvedAddressesHistory",
    base: indexBase(RA.task, RA.docType, "history"),
    mappings: resolvedAddressesMapping,
    timeField: ResolvedAddresses.dnsIngestTime,
  },
  {
    key: "resolvedHosts",
    base: indexBase(RH.task, RH.docType, "snapshot"),
    mappings: resolvedHostsMapping,
    timeField: ResolvedHosts.dnsIngestTime,
  },
  {
    key: "resolvedHostsHistory",
    base: indexBase(RH.task, RH.docType, "history"),
    mappings: resolvedHostsMapping,
    timeField: ResolvedHosts.dnsIngestTime,
  },
];

const INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index";
const searchSource = (query: string, language: "kuery" | "lucene" = "kuery", withIndex = true) =>
  JSON.stringify({
    ...(withIndex ? { indexRefName: INDEX_REF } : {}),
    query: { query, language },
    filter: [],
  });
const indexRef = [{ name: INDEX_REF, type: "index-pattern", id: "${index}" }];

function search(
  key: string,
  title: string,
  index: string,
  columns: string[],
  sortField: string,
  query: string,
  language: "kuery" | "lucene" = "kuery",
): SavedObjectDef {
  return {
    key,
    type: "search",
    title,
    template: {
      attributes: {
        title: "${object_title}",
        description: "",
        columns,
        sort: [[sortField, "desc"]],
        kibanaSavedObjectMeta: { searchSourceJSON: searchSource(query, language) },
      },
      references: indexRef,
    },
    substitutions: { index: { index } },
  };
}

type Agg = { id: string; type: string; schema: string; params: Record<string, unknown> };
const agg = (id: string, type: string, schema: string, params: Record<string, unknown> = {}): Agg => ({
  id,
  type,
  schema,
  params,
});
const TABLE_PARAMS = {
  perPage: 20,
  showPartialRows: false,
  showMetricsAtAllLevels: false,
  showTotal: false,
  totalFunc: "sum",
  percentageCol: "",
};

/** A visualisation over an index pattern (`on: {index}`) or a saved search (`on: {search}`). */
function vis(
  key: string,
  title: string,
  on: { index: string } | { search: string },
  type: string,
  params: Record<string, unknown>,
  aggs: Agg[],
): SavedObjectDef {
  const fromSearch = "search" in on;
  return {
    key,
    type: "visualization",
    title,
    template: {
      attributes: {
        title: "${object_title}",
        description: "",
        visState: JSON.stringify({
          title: "${object_title}",
          type,
          params,
          aggs: aggs.map((a) => ({ enabled: true, ...a })),
        }),
        uiStateJSON: "{}",
        version: 1,
        ...(fromSearch ? { savedSearchRefName: "search_0" } : {}),
        kibanaSavedObjectMeta: { searchSourceJSON: searchSource("", "kuery", !fromSearch) },
      },
      references: fromSearch ? [{ name: "search_0", type: "search", id: "${search_id}" }] : indexRef,
    },
    substitutions: fromSearch
      ? { search_id: { object: `search:${on.search}` } }
      : { index: { index: on.index } },
  };
}

function lineOverTime(
  key: string,
  title: string,
  index: string,
  field: string,
  label: string,
): SavedObjectDef {
  return vis(
    key,
    title,
    { index },
    "line",
    {
      type: "line",
      addTooltip: true,
      addLegend: true,
      legendPosition: "right",
      categoryAxes: [
        {
          id: "CategoryAxis-1",
          type: "category",
          position: "bottom",
          show: true,
          labels: { show: true },
          title: {},
        },
      ],
      valueAxes: [
        {
          id: "ValueAxis-1",
          name: "LeftAxis-1",
          type: "value",
          position: "left",
          show: true,
          labels: { show: true },
          title: { text: label },
        },
      ],
      seriesParams: [
        {
          show: true,
          type: "line",
          mode: "normal",
          data: { id: "1", label },
          valueAxis: "ValueAxis-1",
          drawLinesBetweenPoints: true,
          showCircles: true,
        },
      ],
    },
    [
      agg("1", "cardinality", "metric", { field, customLabel: label }),
      agg("2", "date_histogram", "segment", {
        field: "DnsIngestTime",
        interval: "auto",
        min_doc_count: 1,
        extended_bounds: {},
      }),
    ],
  );
}

function filterControl(key: string, title: string, index: string, field: string): SavedObjectDef {
  return {
    key,
    type: "visualization",
    title,
    template: {
      attributes: {
        title: "${object_title}",
        description: "",
        visState: JSON.stringify({
          title: "${object_title}",
          type: "input_control_vis",
          params: {
            controls: [
              {
                id: "1",
                fieldName: field,
                label: field,
                type: "list",
                parent: "",
                indexPatternRefName: "control_0_index_pattern",
                options: { type: "terms", multiselect: true, dynamicOptions: true, size: 5, order: "desc" },
              },
            ],
            updateFiltersOnChange: true,
            useTimeFilter: false,
            pinFilters: false,
          },
          aggs: [],
        }),
        uiStateJSON: "{}",
        version: 1,
        kibanaSavedObjectMeta: { searchSourceJSON: searchSource("", "kuery", false) },
      },
      references: [{ name: "control_0_index_pattern", type: "index-pattern", id: "${index}" }],
    },
    substitutions: { index: { index } },
  };
}

type Panel = { ref: string; source: Source; w: number; h: number };
function dashboard(key: string, title: string, description: string, panels: Panel[]): SavedObjectDef {
  let x = 0;
  let y = 0;
  let rowH = 0;
  const layout = panels.map((p, i) => {
    if (x + p.w > 48) {
      x = 0;
      y += rowH;
      rowH = 0;
    }
    const gridData = { x, y, w: p.w, h: p.h, i: String(i + 1) };
    x += p.w;
    rowH = Math.max(rowH, p.h);
    return {
      version: "2.0.0",
      gridData,
      panelIndex: String(i + 1),
      embeddableConfig: {},
      panelRefName: `panel_${i}`,
    };
  });
  return {
    key,
    type: "dashboard",
    title,
    template: {
      attributes: {
        title: "${object_title}",
        description,
        panelsJSON: JSON.stringify(layout),
        optionsJSON: JSON.stringify({ hidePanelTitles: false, useMargins: true }),
        timeRestore: true,
        timeFrom: "now-7d",
        timeTo: "now+1d",
        version: 1,
        kibanaSavedObjectMeta: { searchSourceJSON: searchSource("", "kuery", false) },
      },
      references: panels.map((p, i) => ({ name: `panel_${i}`, type: "visualization", id: `\${${p.ref}}` })),
    },
    substitutions: Object.fromEntries(panels.map((p) => [p.ref, p.source])),
  };
}

const ra = ResolvedAddresses;
const rh = ResolvedHosts;
const ai = AddressInfo;

/** Every saved object of the DNS views, dependencies before dependants. */
export const SAVED_OBJECTS: readonly SavedObjectDef[] = [
  search(
    "changed-address-resolution",
    "Changed Address Resolution Records",
    "resolvedHosts",
    [rh.host, rh.addresses, `${rh.addresses}_added`, `${rh.addresses}_removed`],
    rh.dnsIngestTime,
    `${rh.addresses}_added:* or ${rh.addresses}_removed:*`,
  ),
  search(
    "changed-host-resolution",
    "Changed Host Resolution Records",
    "resolvedAddresses",
    [ra.address, ra.hosts, `${ra.hosts}_added`, `${ra.hosts}_removed`],
    ra.dnsIngestTime,
    `${ra.hosts}_added:* or ${ra.hosts}_removed:*`,
  ),
  search(
    "upcoming-scans",
    "Upcoming Scans Records",
    "addressInfo",
    [ai.address, ai.nextPlannedScanTime, ai.lastPlannedScanQueued, ai.lastScanResultsParsed],
    ai.nextPlannedScanTime,
    `${ai.nextPlannedScanTime}:[now TO now+1d}`,
    "lucene",
  ),

  vis(
    "changed-address-resolution",
    "Changed Address Resolution",
    { search: "changed-address-resolution" },
    "table",
    TABLE_PARAMS,
    [
      agg("1", "count", "metric"),
      agg("2", "terms", "bucket", { field: rh.host, size: 100, order: "desc", orderBy: "1" }),
      agg("3", "terms", "bucket", {
        field: `${rh.addresses}_added`,
        size: 20,
        order: "desc",
        orderBy: "1",
        missingBucket: true,
        missingBucketLabel: "-",
      }),
      agg("4", "terms", "bucket", {
        field: `${rh.addresses}_removed`,
        size: 20,
        order: "desc",
        orderBy: "1",
        missingBucket: true,
        missingBucketLabel: "-",
      }),
    ],
  ),
  vis(
    "changed-host-resolution",
    "Changed Host Resolution",
    { search: "changed-host-resolution" },
    "table",
    TABLE_PARAMS,
    [
      agg("1", "count", "metric"),
      agg("2", "terms", "bucket", { field: ra.address, size: 100, order: "desc", orderBy: "1" }),
      agg("3", "terms", "bucket", {
        field: `${ra.hosts}_added`,
        size: 20,
        order: "desc",
        orderBy: "1",
        missingBucket: true,
        missingBucketLabel: "-",
      }),
      agg("4", "terms", "bucket", {
        field: `${ra.hosts}_removed`,
        size: 20,
        order: "desc",
        orderBy: "1",
        missingBucket: true,
        missingBucketLabel: "-",
      }),
    ],
  ),
  vis("upcoming-scans", "Upcoming Scans", { search: "upcoming-scans" }, "table", TABLE_PARAMS, [
    agg("1", "min", "metric", { field: ai.nextPlannedScanTime, customLabel: "Next planned scan" }),
    agg("2", "terms", "bucket", { field: ai.address, size: 200, order: "asc", orderBy: "1" }),
  ]),
  vis(
    "next-planned-scan",
    "Next Planned Scan",
    { index: "addressInfo" },
    "histogram",
    { type: "histogram", addTooltip: true, addLegend: false, legendPosition: "right" },
    [
      agg("1", "count", "metric", { customLabel: "Addresses" }),
      agg("2", "date_histogram", "segment", {
        field: ai.nextPlannedScanTime,
        interval: "auto",
        min_doc_count: 1,
        extended_bounds: {},
      }),
    ],
  ),
  // The nmap parser writes AddressInfo.lastScanResultsParsed (the original mapped a field nothing wrote).
  vis("recently-scanned", "Recently Scanned", { index: "addressInfo" }, "table", TABLE_PARAMS, [
    agg("1", "max", "metric", { field: ai.lastScanResultsParsed, customLabel: "Last scan results parsed" }),
    agg("2", "terms", "bucket", { field: ai.address, size: 100, order: "desc", orderBy: "1" }),
  ]),
  lineOverTime(
    "resolved-hosts",
    "Resolved Hosts Over Time",
    "resolvedHostsHistory",
    rh.host,
    "Distinct hosts",
  ),
  lineOverTime(
    "resolved-addresses",
    "Resolved Addresses Over Time",
    "resolvedAddressesHistory",
    ra.address,
    "Distinct addresses",
  ),
  filterControl("host-filter", "Host Filter", "resolvedHosts", rh.host),
  filterControl("address-filter", "Address Filter", "resolvedAddresses", ra.address),

  dashboard(
    "dns-ingestion",
    "DNS Ingestion and Dead Letters",
    "What the DNS ingest found, what is planned, what was scanned, and what failed",
    [
      {
        ref: "changed_addresses",
        source: { object: "visualization:changed-address-resolution" },
        w: 24,
        h: 15,
      },
      { ref: "changed_hosts", source: { object: "visualization:changed-host-resolution" }, w: 24, h: 15 },
      { ref: "recent_scans", source: { object: "visualization:recently-scanned" }, w: 24, h: 15 },
      { ref: "upcoming_scans", source: { object: "visualization:upcoming-scans" }, w: 24, h: 15 },
      { ref: "resolved_addresses", source: { object: "visualization:resolved-addresses" }, w: 24, h: 12 },
      { ref: "resolved_hosts", source: { object: "visualization:resolved-hosts" }, w: 24, h: 12 },
      { ref: "next_planned_scan", source: { object: "visualization:next-planned-scan" }, w: 24, h: 12 },
      { ref: "dead_letters", source: { param: "deadLetterVisId" }, w: 24, h: 12 },
      { ref: "host_filter", source: { object: "visualization:host-filter" }, w: 24, h: 8 },
      { ref: "address_filter", source: { object: "visualization:address-filter" }, w: 24, h: 8 },
    ],
  ),
  dashboard(
    "dns-actionable",
    "Actionable items: DNS changes and DLQs",
    "DNS changes to review and dead letters to clear",
    [
      { ref: "dead_letters", source: { param: "deadLetterVisId" }, w: 48, h: 12 },
      {
        ref: "changed_addresses",
        source: { object: "visualization:changed-address-resolution" },
        w: 24,
        h: 15,
      },
      { ref: "changed_hosts", source: { object: "visualization:changed-host-resolution" }, w: 24, h: 15 },
    ],
  ),
];

/** `type:key` — how substitutions name another saved object (keys are unique per type only). */
export const objectRef = (o: Pick<SavedObjectDef, "type" | "key">) => `${o.type}:${o.key}`;
