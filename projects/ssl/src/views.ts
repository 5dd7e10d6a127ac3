import {
  SSL_TASK,
  scannerIndexes,
  scannerViews,
  type SavedObjectDecl,
  type ScannerIndex,
} from "@sec-an/contracts";
import { sslTask } from "./task";

/**
 * The ssl task's OpenSearch views, declared in `views/*.json` in the one views format and carried by
 * the scanner module: an index per document type and flavour, and the saved objects (ids derive from
 * type + logical name, never titles, so views reference each other by id).
 */
export type SslIndex = ScannerIndex;
export type SslView = SavedObjectDecl;

export const sslIndexes = (): SslIndex[] => scannerIndexes(SSL_TASK, sslTask.views.mappings);

/** Every saved object, each after the objects it references. */
export const sslViews = (): SslView[] => [...sslTask.views.savedObjects];

/** The project's views, as every project exports them. */
export const views = scannerViews(SSL_TASK, sslTask.views);
