import { SaxTokenizer, XmlSyntaxError, attrValue, decodeEntities, type SaxHandler } from "./sax";

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

/** An element's attributes as the tokenizer gives them: name, value, name, value… */
type Attrs = readonly string[] | undefined;

const attr = (a: Attrs, name: string): string | undefined => {
  const v = attrValue(a, name);
  return v === undefined || v === "" ? undefined : v;
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

/** NSE `<elem>`/`<table>` children of a script or table as they were read, in order per kind. */
class NseNode {
  readonly elems: Array<[key: string | undefined, text: string]> = [];
  readonly tables: Array<[key: string | undefined, value: NseValue]> = [];
  constructor(readonly key: string | undefined) {}

  /** Keyed children make an object, unkeyed ones a list; order between elems and tables is not significant in NSE output. */
  value(): NseValue | undefined {
    const { elems, tables } = this;
    if (elems.length === 0 && tables.length === 0) return undefined;
    let keyed = true;
    for (const e of elems) if (e[0] === undefined) keyed = false;
    for (const t of tables) if (t[0] === undefined) keyed = false;
    if (keyed) {
      const out: Record<string, NseValue> = {};
      for (const [k, v] of elems) out[k!] = v;
      for (const [k, v] of tables) out[k!] = v;
      return out;
    }
    // Mixed or unkeyed: keep unkeyed children as a list, keyed ones as single-key objects.
    const out: NseValue[] = [];
    for (const [k, v] of elems) out.push(k === undefined ? v : { [k]: v });
    for (const [k, v] of tables) out.push(k === undefined ? v : { [k]: v });
    return out;
  }
}

class ScriptNode extends NseNode {
  constructor(readonly attrs: Attrs) {
    super(undefined);
  }
  script(): NmapScript {
    const value = this.value();
    return {
      id: attr(this.attrs, "id") ?? "unknown",
      output: attrValue(this.attrs, "output") ?? "",
      ...(value !== undefined ? { value } : {}),
    };
  }
}

interface PortNode {
  attrs: Attrs;
  state?: Attrs;
  service?: { attrs: Attrs; cpes: string[] };
  scripts: ScriptNode[];
}

interface OsMatchNode {
  attrs: Attrs;
  classes: { attrs: Attrs; cpes: string[] }[];
}

/** One `<host>` as its elements are read: only what NmapHost is made of, each the first of its name where nmap writes one. */
class HostNode {
  readonly addresses: Attrs[] = [];
  status?: Attrs;
  hostnames?: Attrs[];
  ports?: PortNode[];
  extraPorts: Attrs[] = [];
  os?: OsMatchNode[];
  hostScripts?: ScriptNode[];
  uptime?: Attrs;
  constructor(readonly attrs: Attrs) {}

  host(): NmapHost | undefined {
    const addrs = this.addresses;
    const ip = addrs.find((a) => attr(a, "addrtype") === "ipv4" || attr(a, "addrtype") === "ipv6");
    // A host entry without an IP address (e.g. only a MAC) has no parent key: nothing to report against.
    if (!ip || !attr(ip, "addr")) return undefined;
    const st = this.status;
    const up = this.uptime;
    return {
      address: attr(ip, "addr")!,
      addressType: attr(ip, "addrtype") as "ipv4" | "ipv6",
      mac: attr(
        addrs.find((a) => attr(a, "addrtype") === "mac"),
        "addr",
      ),
      status: attr(st, "state") ?? "unknown",
      statusReason: attr(st, "reason"),
      hostnames: (this.hostnames ?? [])
        .filter((h) => attr(h, "name"))
        .map((h) => ({ name: attr(h, "name")!, type: attr(h, "type") })),
      ports: (this.ports ?? []).map(port),
      extraPorts: this.extraPorts.map((e) => ({
        state: attr(e, "state") ?? "unknown",
        count: num(attr(e, "count")) ?? 0,
      })),
      osMatches: (this.os ?? []).map((m) => ({
        name: attr(m.attrs, "name") ?? "unknown",
        accuracy: num(attr(m.attrs, "accuracy")) ?? 0,
        classes: m.classes.map((c) => ({
          type: attr(c.attrs, "type"),
          vendor: attr(c.attrs, "vendor"),
          family: attr(c.attrs, "osfamily"),
          generation: attr(c.attrs, "osgen"),
          accuracy: num(attr(c.attrs, "accuracy")),
          cpes: c.cpes,
        })),
      })),
      hostScripts: (this.hostScripts ?? []).map((s) => s.script()),
      uptimeSeconds: num(attr(up, "seconds")),
      lastBoot: attr(up, "lastboot"),
      startTime: epoch(attr(this.attrs, "starttime")),
      endTime: epoch(attr(this.attrs, "endtime")),
    };
  }
}

function port(p: PortNode): NmapPort {
  const sv = p.service;
  const service: NmapService | undefined = sv
    ? {
        name: attr(sv.attrs, "name"),
        product: attr(sv.attrs, "product"),
        version: attr(sv.attrs, "version"),
        extraInfo: attr(sv.attrs, "extrainfo"),
        osType: attr(sv.attrs, "ostype"),
        tunnel: attr(sv.attrs, "tunnel"),
        method: attr(sv.attrs, "method"),
        confidence: num(attr(sv.attrs, "conf")),
        cpes: sv.cpes,
      }
    : undefined;
  return {
    protocol: attr(p.attrs, "protocol") ?? "tcp",
    portId: num(attr(p.attrs, "portid")) ?? 0,
    state: attr(p.state, "state") ?? "unknown",
    reason: attr(p.state, "reason"),
    service,
    scripts: p.scripts.map((s) => s.script()),
  };
}

/** What the report says about the run as a whole (everything but its hosts). */
export type NmapRunHead = Omit<NmapRun, "hosts">;

/** What an open element inside a host is, so its children and text go where NmapHost reads them. */
const enum K {
  Ignored,
  Host,
  Hostnames,
  Ports,
  Port,
  Service,
  Cpes,
  Script,
  Table,
  Elem,
  Os,
  OsMatch,
  OsClass,
  HostScript,
}

const EMPTY: Attrs = Object.freeze([]);

/**
 * nmap XML read as a stream: each `<host>` is built from the element events in one pass while it is
 * open (only the elements NmapHost is made of are kept: the first `<status>`, `<ports>`, `<os>`,
 * `<hostscript>`, `<uptime>` of a host and the first `<state>`, `<service>` of a port; every address,
 * host name, port, script, NSE elem and table, OS match and class and CPE) and handed to `onHost` as
 * an NmapHost when it closes, then dropped, so memory stays flat in the report's size. The text of
 * every `elem`/`cpe` in a host is trimmed, then decoded (so a bad entity there fails the report
 * wherever it is).
 */
export class NmapXmlStream implements SaxHandler {
  private readonly sax = new SaxTokenizer(this);
  private depth = 0;
  private hostDepth = -1;
  /** Per depth inside the current host: what the element is, and the object its children go to. */
  private readonly kinds: K[] = [];
  private readonly objs: unknown[] = [];
  /** Depth of the `elem`/`cpe` whose text is being read (-1: none), and its raw text so far. */
  private textDepth = -1;
  private textRaw = "";
  private inRunstats = 0;
  private finished?: Attrs;
  private root?: Attrs;

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
    const run = this.root;
    return {
      version: attr(run, "version"),
      args: attr(run, "args"),
      startTime: epoch(attr(run, "start")),
      endTime: epoch(attr(this.finished, "time")),
    };
  }

  /** Bytes read so far. */
  get offset(): number {
    return this.sax.offset;
  }

  open(name: string, attrs: string[] | undefined, selfClosing: boolean): void {
    const depth = this.depth++;
    if (depth === 0) {
      if (name !== "nmaprun") throw new NmapXmlError("no <nmaprun> root element: not an nmap XML report");
      this.root = attrs ?? EMPTY;
      return;
    }
    if (this.hostDepth < 0) {
      if (depth === 1 && name === "host") {
        this.hostDepth = depth;
        this.kinds[depth] = K.Host;
        this.objs[depth] = new HostNode(attrs);
      } else if (depth === 1 && name === "runstats") this.inRunstats += 1;
      else if (depth === 2 && name === "finished" && this.inRunstats === 1 && !this.finished)
        this.finished = attrs ?? EMPTY;
      return;
    }
    let kind = K.Ignored;
    let obj: unknown;
    const parent = this.objs[depth - 1];
    switch (this.kinds[depth - 1]) {
      case K.Host: {
        const h = parent as HostNode;
        if (name === "address") h.addresses.push(attrs);
        else if (name === "status") h.status ??= attrs ?? EMPTY;
        else if (name === "uptime") h.uptime ??= attrs ?? EMPTY;
        else if (name === "hostnames" && !h.hostnames) obj = h.hostnames = [];
        else if (name === "ports" && !h.ports) obj = h.ports = [];
        else if (name === "os" && !h.os) obj = h.os = [];
        else if (name === "hostscript" && !h.hostScripts) obj = h.hostScripts = [];
        if (obj)
          kind =
            name === "hostnames"
              ? K.Hostnames
              : name === "ports"
                ? K.Ports
                : name === "os"
                  ? K.Os
                  : K.HostScript;
        break;
      }
      case K.Hostnames:
        if (name === "hostname") (parent as Attrs[]).push(attrs);
        break;
      case K.Ports:
        if (name === "port") {
          const p: PortNode = { attrs, scripts: [] };
          (parent as PortNode[]).push(p);
          kind = K.Port;
          obj = p;
        } else if (name === "extraports") (this.objs[depth - 2] as HostNode).extraPorts.push(attrs);
        break;
      case K.Port: {
        const p = parent as PortNode;
        if (name === "state") p.state ??= attrs ?? EMPTY;
        else if (name === "service" && !p.service) {
          kind = K.Service;
          obj = (p.service = { attrs, cpes: [] }).cpes;
        } else if (name === "script") {
          const s = new ScriptNode(attrs);
          p.scripts.push(s);
          kind = K.Script;
          obj = s;
        }
        break;
      }
      case K.Service:
      case K.OsClass:
        if (name === "cpe") {
          kind = K.Cpes;
          obj = parent;
        }
        break;
      case K.Script:
      case K.Table:
        if (name === "elem") {
          kind = K.Elem;
          obj = parent;
        } else if (name === "table") {
          kind = K.Table;
          obj = new NseNode(attr(attrs, "key"));
        }
        break;
      case K.Os:
        if (name === "osmatch") {
          const m: OsMatchNode = { attrs, classes: [] };
          (parent as OsMatchNode[]).push(m);
          kind = K.OsMatch;
          obj = m;
        }
        break;
      case K.OsMatch:
        if (name === "osclass") {
          const c = { attrs, cpes: [] as string[] };
          (parent as OsMatchNode).classes.push(c);
          kind = K.OsClass;
          obj = c.cpes;
        }
        break;
      case K.HostScript:
        if (name === "script") {
          const s = new ScriptNode(attrs);
          (parent as ScriptNode[]).push(s);
          kind = K.Script;
          obj = s;
        }
        break;
    }
    this.kinds[depth] = kind;
    this.objs[depth] = kind === K.Elem ? [parent, attr(attrs, "key")] : obj;
    // Text is read from an elem or cpe open in its own tag (a self-closed one has none), until its close
    // or until another opens inside it.
    if (!selfClosing && (name === "elem" || name === "cpe")) {
      this.textDepth = depth;
      this.textRaw = "";
    }
  }

  close(name: string): void {
    const depth = --this.depth;
    if (this.hostDepth < 0 || depth < this.hostDepth) {
      if (depth === 1 && name === "runstats") this.inRunstats = 2; // only the first runstats counts
      return;
    }
    let text = "";
    if (depth === this.textDepth) {
      const t = this.textRaw.trim();
      if (t.length) text = decodeEntities(t, () => this.sax.offset);
      this.textDepth = -1;
      this.textRaw = "";
    }
    const obj = this.objs[depth];
    this.objs[depth] = undefined;
    switch (this.kinds[depth]) {
      case K.Cpes:
        if (text) (obj as string[]).push(text);
        break;
      case K.Elem: {
        const [parent, key] = obj as [NseNode, string | undefined];
        parent.elems.push([key, text]);
        break;
      }
      case K.Table: {
        const t = obj as NseNode;
        (this.objs[depth - 1] as NseNode).tables.push([t.key, t.value() ?? []]);
        break;
      }
      case K.Host: {
        this.hostDepth = -1;
        const h = (obj as HostNode).host();
        if (h) this.onHost(h);
        break;
      }
    }
  }

  get wantsText(): boolean {
    return this.textDepth === this.depth - 1;
  }

  text(raw: string): void {
    if (this.textDepth === this.depth - 1) this.textRaw += raw;
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
