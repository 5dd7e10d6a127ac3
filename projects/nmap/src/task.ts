import * as path from "node:path";
import {
  CascadeTopics,
  NMAP_TASK,
  ScanRequest,
  TaskDocTypes,
  type CascadeEvent,
  type ScannerModule,
  type ScannerParseFn,
} from "@sec-an/contracts";
import { portEventValues, portEvents } from "./cascade";
import { PARSER_VERSION, parseNmapResult, type ParsedNmapRun } from "./parser";
import { MAPPINGS, nmapSavedObjects } from "./views/definitions";

/**
 * One XML parse gives both the documents and the port-detected events (one per open port, for
 * secondary scanners); the parsed run goes on to the handler's hook, which records parse times.
 */
export const parse: ScannerParseFn<ParsedNmapRun> = (raw, tools) => {
  const run = parseNmapResult(raw, tools);
  for (const e of portEvents(run, raw)) tools.emit(CascadeTopics.ports.name, e, portEventValues(e));
  return run;
};

/** A message besides the document collections that parsing a raw result publishes. */
export type CascadeMessage = CascadeEvent;

/**
 * The nmap scanner module: the CLI (`sec-an parse nmap <file>`), re-ingestion, the parse handler and
 * the Scanner component all read it, so a re-parse is exactly what the Lambda would produce. The scan
 * runs in the container built from container/ (its stack config is in config.ts, exported by the index).
 */
export const nmapTask = {
  name: NMAP_TASK,
  parserVersion: PARSER_VERSION,
  requestSchema: ScanRequest,
  /** Every doc type the parser may post: each collection lists them so rescans clear stale ones. */
  docTypes: TaskDocTypes[NMAP_TASK],
  scan: { kind: "container", entry: path.join(__dirname, "entrypoint", "main.ts") },
  parse,
  parseEntry: path.join(__dirname, "handlers", "parse.ts"),
  cascades: [CascadeTopics.ports],
  views: {
    mappings: Object.fromEntries(TaskDocTypes[NMAP_TASK].map((t) => [t, MAPPINGS[t]])),
    savedObjects: nmapSavedObjects(),
  },
} satisfies ScannerModule<typeof ScanRequest, never, ParsedNmapRun>;

/** The cascade topics (kept under this name for the index). */
export const cascades = nmapTask.cascades;

export default nmapTask;
