import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RawResult, RawResultMetadata } from "@sec-an/contracts";
import { createParseTools } from "@sec-an/runtime";
import { PARSER_VERSION, parseNmapResult } from "../src/parser";
import { hostileNmapXml } from "./hostile";
import { syntheticNmapXml } from "./synthetic";

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

/** The real parser over a stored result, through the runtime's ParseTools: its run and the tools. */
export function parseRaw(raw: RawResult, parsedAt?: Date) {
  const tools = createParseTools({
    task: "nmap",
    metadata: raw.metadata,
    rawKey: raw.key,
    parserVersion: PARSER_VERSION,
    ...(parsedAt ? { parsedAt } : {}),
  });
  return { run: parseNmapResult(raw, tools), tools };
}

/** Run the real parser through the runtime's ParseTools; documents grouped by address then doc type. */
export function parseDocs(raw: RawResult) {
  const { run, tools } = parseRaw(raw);
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

/** The reports the golden ids cover: every fixture, a synthetic report and a hostile one, by name. */
export function goldenCases(): Record<string, RawResult> {
  const cases: Record<string, RawResult> = {};
  for (const f of readdirSync(join(__dirname, "fixtures"))
    .filter((n) => n.endsWith(".xml"))
    .sort())
    cases[f] = rawResult(fixture(f));
  cases["loopback-http-tls.xml by host name"] = rawResult(fixture("loopback-http-tls.xml"), {
    request: { target: "www.example.test" },
  });
  cases["synthetic 30 hosts"] = rawResult(
    syntheticNmapXml({ hosts: 30, portsPerHost: 4, cvesPerPort: 3, tlsEvery: 2 }),
  );
  cases["hostile 64 KiB banners"] = rawResult(hostileNmapXml({ bannerBytes: 64 * 1024, hostnames: 3 }));
  return cases;
}

/** Every document id (doc type and non-temporal key, in message order) and a hash of the message bodies. */
export function goldenOf(name: string): { ids: string[]; bodiesSha256: string } {
  const { tools } = parseRaw(goldenCases()[name], new Date("2026-11-23T11:00:00.000Z"));
  const messages = tools.messages();
  const ids = messages.flatMap((m) =>
    Object.entries(m.message.docs).flatMap(([type, docs]) => docs.map((d) => `${type} ${d.nonTemporalKey}`)),
  );
  const h = createHash("sha256");
  for (const m of messages) h.update(m.body).update("\n");
  return { ids, bodiesSha256: h.digest("hex") };
}
