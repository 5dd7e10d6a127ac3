import { XMLParser } from "fast-xml-parser";

/**
 * nmap's XML report (`-oX`, DTD 1.05) read into plain typed objects. Pure: no I/O, no clocks. Missing
 * optional elements (down hosts, no timestamps, no service) become `undefined`, never exceptions.
 */

/** NSE structured output: `<elem>`/`<table>` trees. Keyed children make an object, unkeyed ones a list. */
export type NseValue = string | NseValue[] | { [key: string]: NseValue };

export interface NmapScript {
  readonly id: string;
  readonly output: string;
  /** Structured output, when the script produced any. */
  readonly value?: NseValue;
}

export interface NmapService {
  readonly name?: string;
  readonly product?: string;
  readonly version?: string;
  readonly extraInfo?: string;
  readonly osType?: string;
  readonly tunnel?: string;
  readonly method?: string;
  readonly confidence?: number;
  readonly cpes: string[];
}

export interface NmapPort {
  readonly protocol: string;
  readonly portId: number;
  readonly state: string;
  readonly reason?: string;
  readonly service?: NmapService;
  readonly scripts: NmapScript[];
}

export interface NmapOsClass {
  readonly type?: string;
  readonly vendor?: string;
  readonly family?: string;
  readonly generation?: string;
  readonly accuracy?: number;
  readonly cpes: string[];
}

export interface NmapOsMatch {
  readonly name: string;
  readonly accuracy: number;
  readonly classes: NmapOsClass[];
}

export interface NmapHost {
  readonly address: string;
  readonly addressType: "ipv4" | "ipv6";
  readonly mac?: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly hostnames: { name: string; type?: string }[];
  readonly ports: NmapPort[];
  /** Ports summarised by state ("997 closed ports"). */
  readonly extraPorts: { state: string; count: number }[];
  readonly osMatches: NmapOsMatch[];
  readonly hostScripts: NmapScript[];
  readonly uptimeSeconds?: number;
  readonly lastBoot?: string;
  readonly startTime?: Date;
  readonly endTime?: Date;
}

export interface NmapRun {
  readonly version?: string;
  readonly args?: string;
  readonly startTime?: Date;
  /** `runstats/finished@time`: when the scan ended (certificate expiry is measured from here). */
  readonly endTime?: Date;
  readonly hosts: NmapHost[];
}

export class NmapXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NmapXmlError";
  }
}

const ARRAYS = new Set([
  "host",
  "port",
  "script",
  "table",
  "elem",
  "hostname",
  "address",
  "osmatch",
  "osclass",
  "cpe",
  "extraports",
]);

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  attributesGroupName: "$",
  textNodeName: "#text",
  parseTagValue: false,
  parseAttributeValue: false,
  alwaysCreateTextNode: true,
  ignorePiTags: true,
  // nmap writes control characters and dashes as numeric character references (&#xa; &#45;).
  htmlEntities: true,
  isArray: (name) => ARRAYS.has(name),
});

type Node = { $?: Record<string, string>; "#text"?: string } & Record<string, unknown>;

const attr = (n: Node | undefined, name: string): string | undefined => {
  const v = n?.$?.[name];
  return v === undefined || v === "" ? undefined : v;
};
const list = (n: Node | undefined, name: string): Node[] => (n?.[name] as Node[] | undefined) ?? [];
const child = (n: Node | undefined, name: string): Node | undefined => {
  const v = n?.[name];
  return Array.isArray(v) ? (v[0] as Node) : (v as Node | undefined);
};
const num = (v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};
const epoch = (v: string | undefined): Date | undefined => {
  const n = num(v);
  return n === undefined || n <= 0 ? undefined : new Date(n * 1000);
};
const text = (n: Node): string => n["#text"] ?? "";

/** Convert an `<elem>`/`<table>` tree; order between elems and tables is not significant in NSE output. */
export function nseValue(n: Node): NseValue | undefined {
  const elems = list(n, "elem");
  const tables = list(n, "table");
  if (elems.length === 0 && tables.length === 0) return undefined;
  const keyed = [...elems, ...tables].every((c) => attr(c, "key") !== undefined);
  const valueOf = (c: Node, isTable: boolean): NseValue => (isTable ? (nseValue(c) ?? []) : text(c));
  if (keyed) {
    const out: Record<string, NseValue> = {};
    for (const e of elems) out[attr(e, "key")!] = valueOf(e, false);
    for (const t of tables) out[attr(t, "key")!] = valueOf(t, true);
    return out;
  }
  // Mixed or unkeyed: keep unkeyed children as a list, keyed ones as single-key objects.
  const wrap = (c: Node, isTable: boolean): NseValue => {
    const k = attr(c, "key");
    return k === undefined ? valueOf(c, isTable) : { [k]: valueOf(c, isTable) };
  };
  return [...elems.map((e) => wrap(e, false)), ...tables.map((t) => wrap(t, true))];
}

function script(n: Node): NmapScript {
  const value = nseValue(n);
  return {
    id: attr(n, "id") ?? "unknown",
    output: n.$?.output ?? "",
    ...(value !== undefined ? { value } : {}),
  };
}

const cpes = (n: Node | undefined) => list(n, "cpe").map(text).filter(Boolean);

function port(n: Node): NmapPort {
  const st = child(n, "state");
  const sv = child(n, "service");
  const service: NmapService | undefined = sv
    ? {
        name: attr(sv, "name"),
        product: attr(sv, "product"),
        version: attr(sv, "version"),
        extraInfo: attr(sv, "extrainfo"),
        osType: attr(sv, "ostype"),
        tunnel: attr(sv, "tunnel"),
        method: attr(sv, "method"),
        confidence: num(attr(sv, "conf")),
        cpes: cpes(sv),
      }
    : undefined;
  return {
    protocol: attr(n, "protocol") ?? "tcp",
    portId: num(attr(n, "portid")) ?? 0,
    state: attr(st, "state") ?? "unknown",
    reason: attr(st, "reason"),
    service,
    scripts: list(n, "script").map(script),
  };
}

function osMatch(n: Node): NmapOsMatch {
  return {
    name: attr(n, "name") ?? "unknown",
    accuracy: num(attr(n, "accuracy")) ?? 0,
    classes: list(n, "osclass").map((c) => ({
      type: attr(c, "type"),
      vendor: attr(c, "vendor"),
      family: attr(c, "osfamily"),
      generation: attr(c, "osgen"),
      accuracy: num(attr(c, "accuracy")),
      cpes: cpes(c),
    })),
  };
}

function host(n: Node): NmapHost | undefined {
  const addrs = list(n, "address");
  const ip = addrs.find((a) => attr(a, "addrtype") === "ipv4" || attr(a, "addrtype") === "ipv6");
  // A host entry without an IP address (e.g. only a MAC) has no parent key: nothing to report against.
  if (!ip || !attr(ip, "addr")) return undefined;
  const st = child(n, "status");
  const portsNode = child(n, "ports");
  const up = child(n, "uptime");
  return {
    address: attr(ip, "addr")!,
    addressType: attr(ip, "addrtype") as "ipv4" | "ipv6",
    mac: attr(
      addrs.find((a) => attr(a, "addrtype") === "mac"),
      "addr",
    ),
    status: attr(st, "state") ?? "unknown",
    statusReason: attr(st, "reason"),
    hostnames: list(child(n, "hostnames"), "hostname")
      .filter((h) => attr(h, "name"))
      .map((h) => ({ name: attr(h, "name")!, type: attr(h, "type") })),
    ports: list(portsNode, "port").map(port),
    extraPorts: list(portsNode, "extraports").map((e) => ({
      state: attr(e, "state") ?? "unknown",
      count: num(attr(e, "count")) ?? 0,
    })),
    osMatches: list(child(n, "os"), "osmatch").map(osMatch),
    hostScripts: list(child(n, "hostscript"), "script").map(script),
    uptimeSeconds: num(attr(up, "seconds")),
    lastBoot: attr(up, "lastboot"),
    startTime: epoch(attr(n, "starttime")),
    endTime: epoch(attr(n, "endtime")),
  };
}

/** Parse an nmap XML report. Throws NmapXmlError when the document is not an nmap report at all. */
export function readNmapXml(xml: string | Buffer): NmapRun {
  let doc: Record<string, unknown>;
  try {
    doc = xmlParser.parse(xml) as Record<string, unknown>;
  } catch (e) {
    throw new NmapXmlError(`not well-formed XML: ${(e as Error).message}`);
  }
  const run = doc.nmaprun as Node | undefined;
  if (!run || typeof run !== "object")
    throw new NmapXmlError("no <nmaprun> root element: not an nmap XML report");
  const finished = child(child(run, "runstats"), "finished");
  return {
    version: attr(run, "version"),
    args: attr(run, "args"),
    startTime: epoch(attr(run, "start")),
    endTime: epoch(attr(finished, "time")),
    hosts: list(run, "host")
      .map(host)
      .filter((h): h is NmapHost => h !== undefined),
  };
}
