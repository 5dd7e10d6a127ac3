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

/**
 * How nmap gets at the network. `privileged`: the image gives the nmap binary file capabilities
 * (cap_net_raw, cap_net_admin, cap_net_bind_service) while the container stays non-root, and
 * `--privileged` tells nmap to use them: SYN scan and OS detection (`-O`). Fargate's default capability
 * set includes NET_RAW, so this needs no added capability. `unprivileged`: a TCP connect scan with no
 * raw sockets, for hosts that drop NET_RAW (or a local run as a user without it); no os documents.
 */
export const SCAN_MODES = ["privileged", "unprivileged"] as const;
export type ScanMode = (typeof SCAN_MODES)[number];

/** Environment variable carrying the stack's `scanMode` to the container. */
export const SCAN_MODE_ENV = "NMAP_SCAN_MODE";

/** The scan mode the container was given; unset means unprivileged, which works wherever nmap runs. */
export function scanModeFromEnv(env: NodeJS.ProcessEnv = process.env): ScanMode {
  const v = env[SCAN_MODE_ENV];
  if (v === undefined || v === "") return "unprivileged";
  if (!(SCAN_MODES as readonly string[]).includes(v))
    throw new Error(`${SCAN_MODE_ENV} must be one of ${SCAN_MODES.join(", ")}, got ${JSON.stringify(v)}`);
  return v as ScanMode;
}

export interface NmapArgsOptions {
  /** Raw sockets (SYN scan, OS detection) or a connect scan; default: `scanModeFromEnv()`. */
  readonly mode?: ScanMode;
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
 * - privileged mode: `--privileged -sS -O` — half-open SYN probes and OS fingerprints through the nmap
 *   binary's file capabilities, never root (see `ScanMode`); `--osscan-limit` skips fingerprinting hosts
 *   with no open and closed port, where it guesses badly and costs time.
 * - unprivileged mode: `-sT --unprivileged` — a TCP connect scan needs no raw sockets; the cost is a full
 *   handshake per open port, and no os documents.
 * - `-sV` service/version detection feeds vulners (CPEs) and the cascade attributes (service, tunnel, product).
 * - `-Pn` for single hosts: scheduled targets are known to exist, and discovery (unprivileged: a connect to
 *   80/443) would report firewalled hosts as down. CIDR blocks keep discovery so dark addresses cost nothing.
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
  const mode = opts.mode ?? scanModeFromEnv();
  if (!(SCAN_MODES as readonly string[]).includes(mode)) throw new Error(`invalid scan mode ${String(mode)}`);
  const args = [
    ...(mode === "privileged" ? ["--privileged", "-sS", "-O", "--osscan-limit"] : ["-sT", "--unprivileged"]),
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
