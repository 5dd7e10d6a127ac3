import type { ValidTarget } from "../targets";

/** What nmap is given: validated addresses or one CIDR, never a name (names are resolved beforehand). */
export interface ScanTargets {
  /** Addresses (or one CIDR) to scan, each validated. */
  readonly targets: readonly string[];
  readonly ipv6: boolean;
  readonly cidr: boolean;
  /** The host name the addresses were resolved from, when the request named one. */
  readonly hostname?: string;
}

/** The scan targets of an address or CIDR as validated (host names go through resolveTarget instead). */
export function literalTargets(t: ValidTarget): ScanTargets {
  if (t.type === "hostname") throw new Error("a host name must be resolved before it is scanned");
  return { targets: [t.target], ipv6: t.ipv6, cidr: t.type === "cidr" };
}

/** NSE scripts the image ships and the parser understands (Debian's nmap package includes all four). */
export const NSE_SCRIPTS = ["ssl-enum-ciphers", "ssl-cert", "vulners", "http-server-header"] as const;

export interface NmapArgsOptions {
  /** nmap port list; validated by the ScanRequest schema (`^[0-9][0-9,-]*$`). Default: every TCP port. */
  readonly ports?: string;
  /** Where nmap writes its XML report. */
  readonly xmlOut: string;
  /** Per-host budget passed to nmap (seconds) so one slow host cannot eat the whole task timeout. */
  readonly hostTimeoutSeconds: number;
  /** Timing template 0–5 (default 4, the nmap book's advice for reliable networks). */
  readonly timing?: number;
}

const PORTS = /^[0-9][0-9,-]{0,200}$/;

/**
 * The nmap argument vector. Why these options:
 * - `-sT --unprivileged`: a TCP connect scan needs no raw sockets, so the container runs as a non-root user
 *   with every capability dropped. A SYN scan (and OS detection, `-O`) needs raw sockets, i.e. root with
 *   NET_RAW; Fargate lets a task add no capability but SYS_PTRACE, so we would have to run nmap as root to
 *   get them. The cost is a full handshake per open port, and os documents appear only for XML from a
 *   privileged scan (e.g. one re-ingested or parsed with `sec-an parse`).
 * - `-sV` service/version detection feeds vulners (CPEs) and the cascade attributes (service, tunnel, product).
 * - `-Pn` for single hosts: scheduled targets are known to exist, and unprivileged discovery (a connect to 80/443)
 *   would report firewalled hosts as down. CIDR blocks keep discovery so dark addresses cost nothing.
 * - `-n`: nmap gets only addresses we resolved and validated ourselves, so it never resolves a name into an
 *   address nobody checked (nor spends time on reverse lookups).
 * - the targets are the LAST elements and have already been validated (no leading '-', see targets.ts).
 */
export function nmapArgs(target: ScanTargets, opts: NmapArgsOptions): string[] {
  if (opts.ports !== undefined && !PORTS.test(opts.ports))
    throw new Error(`invalid port list ${JSON.stringify(opts.ports)}`);
  const timing = opts.timing ?? 4;
  if (!Number.isInteger(timing) || timing < 0 || timing > 5)
    throw new Error(`invalid timing template ${timing}`);
  if (!Number.isInteger(opts.hostTimeoutSeconds) || opts.hostTimeoutSeconds < 1)
    throw new Error("invalid host timeout");
  const args = [
    "-sT",
    "--unprivileged",
    "-sV",
    "--script",
    NSE_SCRIPTS.join(","),
    `-T${timing}`,
    "-p",
    opts.ports ?? "1-65535",
    "--host-timeout",
    `${opts.hostTimeoutSeconds}s`,
    "--noninteractive",
    "-oX",
    opts.xmlOut,
  ];
  if (target.targets.length === 0) throw new Error("nothing to scan");
  if (target.targets.some((t) => t.startsWith("-"))) throw new Error("a target would be read as an option");
  args.push("-n");
  if (target.ipv6) args.push("-6");
  if (!target.cidr) args.push("-Pn");
  args.push(...target.targets);
  return args;
}
