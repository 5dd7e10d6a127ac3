import * as path from "node:path";
import {
  PortDetected,
  SSL_TASK,
  TaskDocTypes,
  lambdaScan,
  renderSavedObjects,
  type SavedObjectsFile,
  type ScannerModule,
} from "@sec-an/contracts";
import mappings from "../views/mappings.json";
import savedObjects from "../views/saved-objects.json";
import { PARSER_VERSION, parse } from "./parser/parse";
import { createScan } from "./scanner";

/**
 * The ssl scanner module: the Lambda handlers, the Scanner component, `sec-an parse ssl <file>` and
 * re-ingestion all read it, so the same `scan` and `parse` run everywhere. Requests are port-detected
 * cascade events. Saved objects keep their names unprefixed: their ids are already deployed.
 */
export const scan = lambdaScan(createScan(), path.join(__dirname, "handlers", "scan.ts"));

export const sslTask = {
  name: SSL_TASK,
  parserVersion: PARSER_VERSION,
  requestSchema: PortDetected,
  /** Every doc type the parser may post: each collection lists them so rescans clear stale ones. */
  docTypes: TaskDocTypes[SSL_TASK],
  scan,
  parse,
  parseEntry: path.join(__dirname, "handlers", "parse.ts"),
  views: { mappings, savedObjects: renderSavedObjects(SSL_TASK, savedObjects as SavedObjectsFile, "") },
} satisfies ScannerModule<typeof PortDetected>;

export { parse, PARSER_VERSION };
export default sslTask;
