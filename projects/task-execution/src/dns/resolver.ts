import { Resolver } from "node:dns/promises";

/** DNS codes that mean "this name has no such records" rather than "the lookup failed". */
const NO_DATA = new Set(["ENODATA", "ENOTFOUND", "NXDOMAIN"]);

export class UnresolvableError extends Error {
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`cannot resolve ${host}: ${reason}`);
    this.name = "UnresolvableError";
  }
}

export interface DnsResolverOptions {
  /** `ip` or `ip:port` ([v6]:port for IPv6); the system's resolvers when empty. */
  readonly servers?: readonly string[];
  /** Longest CNAME chain followed (loops are detected separately). */
  readonly maxCnameDepth?: number;
  readonly timeoutMs?: number;
  readonly tries?: number;
}

/**
 * Resolves names to addresses with a real DNS resolver (c-ares via node:dns, not getaddrinfo, so the
 * servers are configurable and /etc/hosts plays no part), following CNAME chains itself when a server
 * answers with the CNAME only. Results are cached for the life of the object (one ingest run).
 */
export class DnsResolver {
  private readonly resolver: Resolver;
  private readonly maxDepth: number;
  private readonly cache = new Map<string, Promise<string[]>>();

  constructor(o: DnsResolverOptions = {}) {
    this.resolver = new Resolver({ timeout: o.timeoutMs ?? 2000, tries: o.tries ?? 2 });
    if (o.servers?.length) this.resolver.setServers([...o.servers]);
    this.maxDepth = o.maxCnameDepth ?? 8;
  }

  /** Every IPv4 and IPv6 address of `name` (sorted, deduplicated); throws UnresolvableError. */
  addresses(name: string): Promise<string[]> {
    const key = name.toLowerCase().replace(/\.$/, "");
    let p = this.cache.get(key);
    if (!p) {
      p = this.follow(key, [key]);
      this.cache.set(key, p);
    }
    return p;
  }

  private async follow(name: string, chain: string[]): Promise<string[]> {
    const [v4, v6] = await Promise.all([this.query(name, "A"), this.query(name, "AAAA")]);
    const found = [...new Set([...v4, ...v6])].sort();
    if (found.length) return found;
    const cnames = await this.query(name, "CNAME");
    if (!cnames.length) throw new UnresolvableError(chain[0], `no A, AAAA or CNAME records for ${name}`);
    const target = cnames[0].toLowerCase().replace(/\.$/, "");
    if (chain.includes(target))
      throw new UnresolvableError(chain[0], `CNAME loop ${[...chain, target].join(" -> ")}`);
    if (chain.length > this.maxDepth)
      throw new UnresolvableError(chain[0], `CNAME chain longer than ${this.maxDepth}`);
    return this.follow(target, [...chain, target]);
  }

  private async query(name: string, type: "A" | "AAAA" | "CNAME"): Promise<string[]> {
    try {
      if (type === "A") return await this.resolver.resolve4(name);
      if (type === "AAAA") return await this.resolver.resolve6(name);
      return await this.resolver.resolveCname(name);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "";
      if (NO_DATA.has(code)) return [];
      throw new UnresolvableError(name, `${type} lookup failed: ${code || (e as Error).message}`);
    }
  }

  /** Stop outstanding queries (end of the run). */
  cancel(): void {
    this.resolver.cancel();
  }
}
