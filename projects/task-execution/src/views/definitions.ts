/**
 * The DNS views as data: which tables are synced into which indices, and the Dashboards searches,
 * visualisations, filter controls and dashboards over them (views/views.json, the one views format).
 * Pure, so tests check them without Pulumi; `DnsViews` turns them into resources.
 */
import {
  AddressInfo,
  PlatformIndex,
  ResolvedAddresses,
  ResolvedHosts,
  indexBase,
  renderSavedObjects,
  type ProjectViews,
  type SavedObjectDecl,
  type SavedObjectsFile,
} from "@sec-an/contracts";
import addressInfoMapping from "../../views/mappings/address_info.json";
import resolvedAddressesMapping from "../../views/mappings/resolved_addresses.json";
import resolvedHostsMapping from "../../views/mappings/resolved_hosts.json";
import viewsJson from "../../views/views.json";

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

/** Stable logical name of one of our saved objects (ids derive from type + this). */
export const logicalName = (key: string) => `task-execution.${key}`;

/** Every saved object of the DNS views, dependencies before dependants. */
export const SAVED_OBJECTS: readonly SavedObjectDecl[] = renderSavedObjects(
  "task-execution",
  viewsJson as SavedObjectsFile,
  logicalName(""),
  { ownIndex: (base) => INDICES.some((i) => i.base === base) },
);

/** The project's views, as every project exports them. */
export const views: ProjectViews = {
  indexes: INDICES.map(({ base, mappings, timeField }) => ({
    base,
    mappings,
    ...(timeField ? { timeField } : {}),
  })),
  savedObjects: SAVED_OBJECTS,
};
