/**
 * The nmap views, declared in views/objects.json in the one views format: one snapshot and one history
 * index per document type, and the Dashboards searches, visualisations, filter controls and dashboards.
 * The scanner module carries them and the Scanner component turns them into resources.
 */
import {
  NMAP_TASK,
  NmapDocType,
  indexBase,
  renderSavedObjects,
  scannerViews,
  type SavedObjectDecl,
  type SavedObjectsFile,
} from "@sec-an/contracts";
import mappingsJson from "../../views/mappings.json";
import objectsJson from "../../views/objects.json";

export type IndexKey = string; // "<docType>" (snapshot) or "<docType>_history"

export interface IndexDef {
  readonly key: IndexKey;
  readonly base: string;
  readonly mappings: Record<string, unknown>;
}

export const MAPPINGS = mappingsJson as Record<string, { properties: Record<string, unknown> }>;
export const OBJECTS = objectsJson as SavedObjectsFile;

export const INDICES: readonly IndexDef[] = Object.values(NmapDocType).flatMap((docType) => {
  const mappings = MAPPINGS[docType];
  if (!mappings) throw new Error(`views/mappings.json has no mapping for ${docType}`);
  return [
    { key: docType, base: indexBase(NMAP_TASK, docType, "snapshot"), mappings },
    { key: `${docType}_history`, base: indexBase(NMAP_TASK, docType, "history"), mappings },
  ];
});

/** Stable logical name of one of our saved objects (ids derive from type + this, never from titles). */
export const logicalName = (key: string) => `nmap.${key}`;

/** The saved objects as the Scanner component takes them: placeholders resolved to ids, dependencies named. */
export const nmapSavedObjects = (): SavedObjectDecl[] => renderSavedObjects(NMAP_TASK, OBJECTS);

/** Each saved object's key (its name in views/objects.json), type and title. */
export const savedObjects = () =>
  nmapSavedObjects().map((o) => ({ key: o.logicalName.slice("nmap.".length), type: o.type, title: o.title }));

/** The project's views, as every project exports them. */
export const views = scannerViews(NMAP_TASK, {
  mappings: Object.fromEntries(Object.values(NmapDocType).map((t) => [t, MAPPINGS[t]])),
  savedObjects: nmapSavedObjects(),
});
