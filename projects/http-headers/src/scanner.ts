import * as path from "node:path";
import { PortDetected, lambdaScan, renderSavedObjects, type ScannerModule } from "@sec-an/contracts";
import mappings from "../views/mappings.json";
import savedObjects from "../views/saved-objects.json";
import { ConfigKeys } from "./config";
import { DocType, PARSER_VERSION, parse } from "./parse";
import { scan } from "./scan";

/**
 * The http-headers scanner as the platform sees it: the Lambda handlers, the Scanner component, `sec-an
 * parse`, re-ingestion and the local run all read this one value.
 */
export const scanner = {
  name: "http-headers",
  parserVersion: PARSER_VERSION,
  requestSchema: PortDetected,
  docTypes: Object.values(DocType),
  scan: lambdaScan(scan, path.join(__dirname, "handlers", "scan.ts")),
  parse,
  parseEntry: path.join(__dirname, "handlers", "parse.ts"),
  views: { mappings, savedObjects: renderSavedObjects("http-headers", savedObjects) },
  configSchema: ConfigKeys,
} satisfies ScannerModule<typeof PortDetected, typeof ConfigKeys>;
