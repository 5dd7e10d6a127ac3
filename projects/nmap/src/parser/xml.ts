import { SaxTokenizer, XmlSyntaxError, decodeEntities, type SaxHandler } from "./sax";

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
  constructor(
    message: string,
    /** Byte offset of the fault in the report, when the XML itself is at fault. */
    readonly offset?: number,
  ) {
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

export function host(n: Node): NmapHost | undefined {
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

/** What the report says about the run as a whole (everything but its hosts). */
export type NmapRunHead = Omit<NmapRun, "hosts">;

/** Elements whose text is read (NSE `<elem>` values and CPEs); every other text run is skipped. */
const TEXT = new Set(["elem", "cpe"]);

/**
 * nmap XML read as a stream: each `<host>` is built into a small element tree while it is open and
 * handed to `onHost` as an NmapHost when it closes, then dropped, so memory stays flat in the report's
 * size. The tree has the shape the conversion functions above read: attributes under `$`, the text
 * of `elem`/`cpe` under `#text` (trimmed, then decoded), children in a list for the names in ARRAYS
 * and otherwise the first of that name.
 */
export class NmapXmlStream implements SaxHandler {
  private readonly sax = new SaxTokenizer(this);
  private readonly nodes: Node[] = [];
  private depth = 0;
  private hostDepth = -1;
  private textNode?: Node;
  private textRaw = "";
  private inRunstats = 0;
  private leaf = false;
  private finished?: Record<string, string>;
  private root?: Record<string, string>;

  constructor(private readonly onHost: (host: NmapHost) => void) {}

  /** Feed the next chunk; completed hosts reach `onHost` before this returns. Throws NmapXmlError. */
  write(chunk: Buffer | string): void {
    try {
      this.sax.write(chunk);
    } catch (e) {
      throw asNmapError(e);
    }
  }

  /** The end of the report: throws NmapXmlError when it is cut short or is not an nmap report. */
  end(): NmapRunHead {
    try {
      this.sax.end();
    } catch (e) {
      throw asNmapError(e);
    }
    if (!this.root) throw new NmapXmlError("no <nmaprun> root element: not an nmap XML report");
    return this.head();
  }

  /** The run's attributes read so far (the end time only once `<runstats>` has been read). */
  head(): NmapRunHead {
    const run = { $: this.root } as Node;
    return {
      version: attr(run, "version"),
      args: attr(run, "args"),
      startTime: epoch(attr(run, "start")),
      endTime: epoch(attr({ $: this.finished } as Node, "time")),
    };
  }

  /** Bytes read so far. */
  get offset(): number {
    return this.sax.offset;
  }

  open(name: string, attrs: Record<string, string> | undefined, selfClosing: boolean): void {
    const depth = this.depth++;
    if (depth === 0) {
      if (name !== "nmaprun") throw new NmapXmlError("no <nmaprun> root element: not an nmap XML report");
      this.root = attrs ?? {};
      return;
    }
    if (this.hostDepth < 0) {
      if (depth === 1 && name === "host") {
        this.hostDepth = depth;
        this.nodes.push({ $: attrs } as Node);
      } else if (depth === 1 && name === "runstats") this.inRunstats += 1;
      else if (depth === 2 && name === "finished" && this.inRunstats === 1 && !this.finished)
        this.finished = attrs ?? {};
      return;
    }
    const node = (attrs ? { $: attrs } : {}) as Node;
    const parent = this.nodes[this.nodes.length - 1];
    if (ARRAYS.has(name)) {
      const list = Object.hasOwn(parent, name) ? (parent[name] as Node[]) : ((parent[name] = []) as Node[]);
      list.push(node);
    } else if (!Object.hasOwn(parent, name)) parent[name] = node;
    // A leaf closed in its own tag: close() follows at once and has nothing to pop.
    if (selfClosing) {
      this.leaf = true;
      return;
    }
    this.nodes.push(node);
    if (TEXT.has(name)) {
      this.textNode = node;
      this.textRaw = "";
    }
  }

  close(name: string): void {
    const depth = --this.depth;
    if (this.hostDepth < 0 || depth < this.hostDepth) {
      if (depth === 1 && name === "runstats") this.inRunstats = 2; // only the first runstats counts
      return;
    }
    if (this.leaf) {
      this.leaf = false;
      return;
    }
    const node = this.nodes.pop()!;
    if (node === this.textNode) {
      const t = this.textRaw.trim();
      if (t.length) node["#text"] = decodeEntities(t, () => this.sax.offset);
      this.textNode = undefined;
    }
    if (depth === this.hostDepth) {
      this.hostDepth = -1;
      const h = host(node);
      if (h) this.onHost(h);
    }
  }

  text(raw: string): void {
    if (this.textNode && this.nodes[this.nodes.length - 1] === this.textNode) this.textRaw += raw;
  }
}

function asNmapError(e: unknown): unknown {
  return e instanceof XmlSyntaxError ? new NmapXmlError(e.message, e.offset) : e;
}

/** Parse a whole nmap XML report held in memory. Throws NmapXmlError when it is not an nmap report at all. */
export function readNmapXml(xml: string | Buffer): NmapRun {
  const hosts: NmapHost[] = [];
  const stream = new NmapXmlStream((h) => hosts.push(h));
  stream.write(xml);
  return { ...stream.end(), hosts };
}
