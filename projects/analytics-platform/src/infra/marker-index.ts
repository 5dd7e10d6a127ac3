import { IngestFields, IngestMarkerIndex, indexBase } from "@sec-an/contracts";

/** Logical index of the ingestor's per-(task, parent) latest-scan markers. */
export const MARKER_INDEX_BASE = indexBase(IngestMarkerIndex.task, IngestMarkerIndex.docType, "");

/** Its mapping: the generation is compared as a number (it is also the marker's external version). */
export const MARKER_INDEX_MAPPINGS = { properties: { [IngestFields.generation]: { type: "long" } } };
