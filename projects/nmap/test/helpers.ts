import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { RawResult, RawResultMetadata } from "@sec-an/contracts";
import { createParseTools } from "@sec-an/runtime";
import { PARSER_VERSION, parseNmapResult } from "../src/parser";

export const fixture = (name: string) => readFileSync(join(__dirname, "fixtures", name));

export function rawResult(
  body: Buffer | string,
  metadata: Partial<RawResultMetadata> = {},
  key = "nmap/2026/11/23/scan-1.xml",
): RawResult {
  return {
    key,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    metadata: {
      scanId: "scan-1",
      task: "nmap",
      scanStartTime: "2026-11-23T10:00:00.000Z",
      scanEndTime: "2026-11-23T10:05:00.000Z",
      request: { target: "127.0.0.7", requestedAt: "2026-11-23T09:59:00.000Z" },
      ...metadata,
    },
  };
}

export type Doc = Record<string, unknown>;

/** Run the real parser through the runtime's ParseTools; documents grouped by address then doc type. */
export function parseDocs(raw: RawResult) {
  const tools = createParseTools({
    task: "nmap",
    metadata: raw.metadata,
    rawKey: raw.key,
    parserVersion: PARSER_VERSION,
  });
  const run = parseNmapResult(raw, tools);
  const byHost = new Map<string, Record<string, Doc[]>>();
  const messages = tools.messages();
  for (const m of messages) {
    for (const [type, docs] of Object.entries(m.message.docs)) {
      for (const d of docs) {
        const address = String(d.data.address);
        const host = byHost.get(address) ?? {};
        (host[type] ??= []).push(d.data);
        byHost.set(address, host);
      }
    }
  }
  return { run, byHost, messages, tools };
}
