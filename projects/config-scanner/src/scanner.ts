import * as path from "node:path";
import {
  CONFIG_SCANNER_TASK,
  ConfigDocType,
  ConfigScanRequest,
  lambdaScan,
  renderSavedObjects,
  type ScannerModule,
} from "@sec-an/contracts";
import mappings from "../views/mappings.json";
import savedObjects from "../views/saved-objects.json";
import { ConfigKeys } from "./config";
import type { Evaluation } from "./evaluate";
import { PARSER_VERSION, parse } from "./parse";
import { scan } from "./scan";
import { exposureObjects } from "./views";

/**
 * The config-scanner as the platform sees it: its "scan" is the evaluation of one CloudTrail event or
 * sweep (the task queue is fed by EventBridge, not the scan initiator), its raw result the evaluation,
 * its parser the finding documents. The handlers, the Scanner component, `sec-an parse`, re-ingestion
 * and the local run all read this one value.
 */
export const scanner = {
  name: CONFIG_SCANNER_TASK,
  parserVersion: PARSER_VERSION,
  requestSchema: ConfigScanRequest,
  docTypes: Object.values(ConfigDocType),
  scan: lambdaScan(scan, path.join(__dirname, "handlers", "scan.ts")),
  parse,
  parseEntry: path.join(__dirname, "handlers", "parse.ts"),
  views: {
    mappings,
    savedObjects: [...renderSavedObjects(CONFIG_SCANNER_TASK, savedObjects), ...exposureObjects()],
  },
  configSchema: ConfigKeys,
} satisfies ScannerModule<typeof ConfigScanRequest, typeof ConfigKeys, Evaluation>;
