import { renderSavedObjects, type ProjectViews, type SavedObjectsFile } from "@sec-an/contracts";
import deadLetterMappings from "../views/dead-letter.mappings.json";
import viewsJson from "../views/views.json";
import { DEAD_LETTER_INDEX } from "./reporter";

/**
 * The platform's own views (views/views.json, the one views format): the dead letters, and the
 * overview dashboard across every project, whose panels are other projects' objects by their stable ids.
 */
export const views: ProjectViews = {
  indexes: [
    { base: DEAD_LETTER_INDEX, mappings: deadLetterMappings, collection: false, timeField: "sentTime" },
  ],
  // Logical names stay unprefixed: the Dead Letters visualisation's id is published and embedded elsewhere.
  savedObjects: renderSavedObjects("analytics-platform", viewsJson as SavedObjectsFile, "", {
    indexNames: { "dead-letters": DEAD_LETTER_INDEX },
    ownIndex: (base) => base === DEAD_LETTER_INDEX,
  }),
};
