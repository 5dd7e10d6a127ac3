import { readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import {
  DocFields,
  RawResultMetadata,
  indexBase,
  validate,
  writeAlias,
  type RawResult,
  type ScannerModule,
} from "@sec-an/contracts";
import { runScannerParser } from "@sec-an/runtime";

/** What `sec-an parse` (and re-ingestion) need of a scanner module: its parser and what it may post. */
export type TaskModule = Pick<ScannerModule, "name" | "parserVersion" | "parse" | "docTypes" | "cascades">;

export interface ParseIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

const USAGE = "usage: sec-an parse <task> <file>   (metadata from <file>.meta.json when present)\n";

/** Metadata for a local file: its sidecar, or one synthesised from the file name and time (said on stderr). */
async function metadataFor(task: string, file: string, io: ParseIo): Promise<RawResultMetadata> {
  const sidecar = `${file}.meta.json`;
  let text: string | undefined;
  try {
    text = await readFile(sidecar, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  if (text !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`${sidecar} is not valid JSON: ${(e as Error).message}`);
    }
    return validate(RawResultMetadata, json, sidecar);
  }
  const mtime = (await stat(file)).mtime.toISOString();
  const scanId =
    basename(file)
      .replace(/\.[^.]*$/, "")
      .replace(/[^A-Za-z0-9._:@-]/g, "_")
      .slice(0, 128) || "local";
  io.stderr.write(
    `note: no ${sidecar}; metadata synthesised: scanId=${scanId}, task=${task}, scan start/end = file time ${mtime}, request = {}\n`,
  );
  return { scanId, task, scanStartTime: mtime, scanEndTime: mtime, request: {} };
}

/**
 * `sec-an parse <task> <file>`: run the task's real parser on a raw result file and print, one JSON line
 * each, every document as the ingestor would write it to the snapshot index (`{index, id, body}`) and
 * every message parsing publishes (`{topic, attributes, bytes}`). Exit 0 on success, 1 on a parse error,
 * 2 on usage errors.
 */
export async function parseCommand(
  args: string[],
  io: ParseIo,
  registry: Record<string, TaskModule>,
): Promise<number> {
  const [taskName, file, ...extra] = args;
  if (!taskName || !file || extra.length) {
    io.stderr.write(USAGE);
    return 2;
  }
  const task = registry[taskName];
  if (!task) {
    io.stderr.write(
      `sec-an parse: unknown task ${JSON.stringify(taskName)} (known: ${Object.keys(registry).sort().join(", ") || "none"})\n`,
    );
    return 2;
  }
  try {
    const body = await readFile(file);
    const metadata = await metadataFor(task.name, file, io);
    const raw: RawResult = { key: file, body, metadata };
    // The handler's own parse: documents, and the cascade events checked against their topics.
    const { messages, cascades } = await runScannerParser(raw, task);
    let docs = 0;
    for (const m of messages) {
      const c = m.message;
      for (const [docType, list] of Object.entries(c.docs)) {
        for (const d of list) {
          const bodyOut = {
            ...d.data,
            [DocFields.parentKey]: c.parentKey,
            [DocFields.nonTemporalKey]: d.nonTemporalKey,
            [DocFields.temporalKey]: c.temporalKey,
            [DocFields.scanId]: c.scanId,
            [DocFields.scanStartTime]: c.scanStartTime,
            [DocFields.scanEndTime]: c.scanEndTime,
            [DocFields.task]: c.task,
            [DocFields.rawKey]: c.lineage.rawKey,
            [DocFields.parserVersion]: c.lineage.parserVersion,
          };
          io.stdout.write(
            JSON.stringify({
              index: writeAlias(indexBase(c.task, docType, "snapshot")),
              id: d.nonTemporalKey,
              body: bodyOut,
            }) + "\n",
          );
          docs += 1;
        }
      }
    }
    for (const m of messages)
      io.stdout.write(
        JSON.stringify({
          topic: `${task.name}-results`,
          attributes: m.attributes,
          bytes: Buffer.byteLength(m.body),
        }) + "\n",
      );
    for (const e of cascades)
      io.stdout.write(
        JSON.stringify({
          topic: e.topic,
          attributes: Object.fromEntries(Object.entries(e.attributes).map(([k, a]) => [k, a.value])),
          message: e.event,
        }) + "\n",
      );
    io.stderr.write(
      `${task.name} parser ${task.parserVersion}: ${docs} documents, ${messages.length} results messages, ${cascades.length} cascade messages\n`,
    );
    return 0;
  } catch (e) {
    io.stderr.write(`sec-an parse: ${file}: ${(e as Error).message}\n`);
    return 1;
  }
}
