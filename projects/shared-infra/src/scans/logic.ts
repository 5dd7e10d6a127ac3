/**
 * `POST /scans`: what an on-demand scan request may ask for, and whether we may scan it. Pure apart
 * from the two ownership look-ups it is given, so every decision is testable without AWS.
 */
import { isIPv4 } from "node:net";
import { Type, type Static } from "@sinclair/typebox";
import {
  Attr,
  InvalidTargetError,
  Limits,
  MalformedJsonError,
  ScanRequest,
  SchemaError,
  ipv6ToBigInt,
  parseJson,
  validateTarget,
  type ValidTarget,
} from "@sec-an/contracts";

/** The body of `POST /scans`. Unknown fields are refused, so a misspelt option is an error, not ignored. */
export const OnDemandScanBody = Type.Object(
  {
    /** At most one SNS PublishBatch of targets per call. */
    targets: Type.Array(ScanRequest.properties.target, {
      minItems: 1,
      maxItems: Limits.batchEntries,
      uniqueItems: true,
    }),
    /** Scanners asked for (default: every scanner configured for on-demand scans). */
    scanners: Type.Optional(
      Type.Array(Type.String({ pattern: "^[a-z][a-z0-9_-]{0,40}$" }), {
        minItems: 1,
        maxItems: 16,
        uniqueItems: true,
      }),
    ),
    ports: ScanRequest.properties.ports,
  },
  { title: "OnDemandScanBody", additionalProperties: false },
);
export type OnDemandScanBody = Static<typeof OnDemandScanBody>;

/** Environment of the scans function (plain configuration, never secrets). */
export const ScansEnv = {
  /** Comma-separated CIDRs that may be scanned even when the DNS tables do not hold them. */
  allowList: "SEC_AN_SCAN_ALLOW_LIST",
  /** Comma-separated scanners a request may name; a request naming none gets all of them. */
  scanners: "SEC_AN_SCAN_SCANNERS",
  /** task-execution's resolved-addresses and resolved-hosts tables, and its scan-initiator topic. */
  addressesTable: "SEC_AN_RESOLVED_ADDRESSES_TABLE",
  hostsTable: "SEC_AN_RESOLVED_HOSTS_TABLE",
  topicArn: "SEC_AN_SCAN_INITIATOR_TOPIC_ARN",
} as const;

/** The rule that produced an on-demand request, as carried in its lineage. */
export const ON_DEMAND_RULE = "on-demand";

export interface HttpResult {
  readonly statusCode: number;
  readonly body: Record<string, unknown>;
}

/** A request refused for what it says (4xx): `status` 400 malformed, 403 not ours to scan. */
export class RequestRefused extends Error {
  constructor(
    readonly status: 400 | 403,
    readonly code: string,
    message: string,
    readonly details?: ReadonlyArray<{ target: string; reason: string }>,
  ) {
    super(message);
    this.name = "RequestRefused";
  }
  toResult(): HttpResult {
    return {
      statusCode: this.status,
      body: { error: this.code, message: this.message, ...(this.details ? { targets: this.details } : {}) },
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// CIDR allow-list

interface Network {
  readonly cidr: string;
  readonly v6: boolean;
  readonly base: bigint;
  readonly prefix: number;
}

const toNumber = (address: string): { v6: boolean; value: bigint } =>
  isIPv4(address)
    ? { v6: false, value: address.split(".").reduce((n, o) => (n << 8n) | BigInt(Number(o)), 0n) }
    : { v6: true, value: ipv6ToBigInt(address) };

/** Parses the allow-list (a CIDR or a single address per item); throws naming the bad item. */
export function parseAllowList(items: readonly string[]): Network[] {
  return items
    .map((s) => s.trim())
    .filter(Boolean)
    .map((cidr) => {
      const [addr, p] = cidr.includes("/") ? cidr.split("/") : [cidr, undefined];
      let valid: ValidTarget;
      try {
        valid = validateTarget(addr);
      } catch (e) {
        throw new Error(`allow-list entry ${JSON.stringify(cidr)}: ${(e as Error).message}`);
      }
      if (valid.type !== "ipv4" && valid.type !== "ipv6")
        throw new Error(`allow-list entry ${JSON.stringify(cidr)} is not an address or CIDR`);
      const v6 = valid.ipv6;
      const width = v6 ? 128 : 32;
      const prefix = p === undefined ? width : Number(p);
      if (!/^\d{1,3}$/.test(p ?? "0") || prefix > width)
        throw new Error(`allow-list entry ${JSON.stringify(cidr)} has a bad prefix`);
      const bits = BigInt(width - prefix);
      return { cidr, v6, base: (toNumber(addr).value >> bits) << bits, prefix };
    });
}

/** True when every address of `target` (an address or CIDR) lies inside one allow-listed network. */
export function allowListed(target: ValidTarget, allowList: readonly Network[]): Network | undefined {
  if (target.type === "hostname") return undefined;
  const [addr, p] = target.target.split("/");
  const { v6, value } = toNumber(addr);
  const prefix = p === undefined ? (v6 ? 128 : 32) : Number(p);
  return allowList.find((n) => {
    if (n.v6 !== v6 || n.prefix > prefix) return false;
    const bits = BigInt((v6 ? 128 : 32) - n.prefix);
    return value >> bits === n.base >> bits;
  });
}

// ---------------------------------------------------------------------------------------------------
// Decisions

export interface Ownership {
  /** The address is in the resolved-addresses table (some DNS record of ours resolved to it). */
  ownsAddress(address: string): Promise<boolean>;
  /** The host name is in the resolved-hosts table (a record in one of our zones). */
  ownsHost(host: string): Promise<boolean>;
}

export interface ScanPolicy {
  readonly allowList: readonly Network[];
  /** Scanners a request may name; a request that names none gets all of them. */
  readonly scanners: readonly string[];
}

/** Parses and validates a body: 400 with the reason for anything malformed or not a valid target. */
export function parseBody(
  text: string | null | undefined,
  policy: ScanPolicy,
): { targets: ValidTarget[]; scanners: string[]; ports?: string } {
  let body: OnDemandScanBody;
  try {
    body = parseJson(OnDemandScanBody, text ?? "", "scan request");
  } catch (e) {
    if (e instanceof SchemaError || e instanceof MalformedJsonError)
      throw new RequestRefused(400, "malformed", e.message);
    throw e;
  }
  const invalid: { target: string; reason: string }[] = [];
  const targets: ValidTarget[] = [];
  for (const t of body.targets) {
    try {
      targets.push(validateTarget(t));
    } catch (e) {
      if (!(e instanceof InvalidTargetError)) throw e;
      invalid.push({ target: t.slice(0, 300), reason: e.message });
    }
  }
  if (invalid.length)
    throw new RequestRefused(400, "invalid-target", "some targets are not valid scan targets", invalid);
  const unknown = (body.scanners ?? []).filter((s) => !policy.scanners.includes(s));
  if (unknown.length)
    throw new RequestRefused(
      400,
      "unknown-scanner",
      `scanners ${unknown.join(", ")} are not available on demand (available: ${policy.scanners.join(", ") || "none"})`,
    );
  return { targets, scanners: body.scanners ?? [...policy.scanners], ports: body.ports };
}

/** Why we may scan a target, or why not (the 403 reason). */
export async function ownershipOf(
  target: ValidTarget,
  policy: ScanPolicy,
  owned: Ownership,
): Promise<{ allowed: true; via: string } | { allowed: false; reason: string }> {
  const listed = allowListed(target, policy.allowList);
  if (listed) return { allowed: true, via: `allow-list ${listed.cidr}` };
  switch (target.type) {
    case "ipv4":
    case "ipv6":
      return (await owned.ownsAddress(target.target.toLowerCase()))
        ? { allowed: true, via: "dns" }
        : {
            allowed: false,
            reason: "not an address of ours: no DNS record resolves to it and no allow-list entry holds it",
          };
    case "hostname":
      return (await owned.ownsHost(target.target.toLowerCase()))
        ? { allowed: true, via: "dns" }
        : { allowed: false, reason: "not a host name in our DNS zones" };
    case "cidr":
      return {
        allowed: false,
        reason: "a network is accepted only when an allow-list entry holds all of it",
      };
  }
}

/** Checks every target; refuses the whole request (403, nothing published) if any is not ours. */
export async function checkOwnership(
  targets: readonly ValidTarget[],
  policy: ScanPolicy,
  owned: Ownership,
): Promise<string[]> {
  const decisions = await Promise.all(targets.map((t) => ownershipOf(t, policy, owned)));
  const refused = decisions.flatMap((d, i) =>
    d.allowed ? [] : [{ target: targets[i].target, reason: d.reason }],
  );
  if (refused.length)
    throw new RequestRefused(403, "not-owned", "some targets are neither ours nor allow-listed", refused);
  return decisions.map((d) => (d.allowed ? d.via : ""));
}

export interface PublishEntry {
  readonly Id: string;
  readonly Message: string;
  readonly MessageAttributes: Record<string, { DataType: string; StringValue: string }>;
}

/**
 * One scan-initiator message per target, shaped as the planner's (same schema and attributes, so
 * subscriptions filter them alike), with its own root scan id and who asked in the lineage.
 */
export function publishEntries(
  req: { targets: readonly ValidTarget[]; scanners: readonly string[]; ports?: string },
  ctx: { now: Date; newId: () => string; requestedBy?: string },
): { entries: PublishEntry[]; scans: { target: string; scanId: string }[] } {
  const scans = req.targets.map((t) => ({ target: t.target, scanId: ctx.newId() }));
  const entries = req.targets.map((t, i): PublishEntry => {
    const request: ScanRequest & { scanId: string; requestedBy?: string } = {
      target: t.target,
      targetType: t.type,
      requestedAt: ctx.now.toISOString(),
      ...(req.ports ? { ports: req.ports } : {}),
      lineage: { rootScanId: scans[i].scanId, depth: 0, rule: ON_DEMAND_RULE },
      scanId: scans[i].scanId,
      ...(ctx.requestedBy ? { requestedBy: ctx.requestedBy } : {}),
    };
    return {
      Id: `t${i}`,
      Message: JSON.stringify(request),
      MessageAttributes: {
        [Attr.addressType]: { DataType: "String", StringValue: t.type },
        [Attr.depth]: { DataType: "Number", StringValue: "0" },
        [Attr.task]: { DataType: "String.Array", StringValue: JSON.stringify(req.scanners) },
        [Attr.scanId]: { DataType: "String", StringValue: scans[i].scanId },
      },
    };
  });
  return { entries, scans };
}

/** Reads the function's policy from its environment; a bad allow-list fails loudly (a deploy error). */
export function policyFromEnv(env: NodeJS.ProcessEnv = process.env): ScanPolicy {
  const list = (key: string) =>
    (env[key] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  return { allowList: parseAllowList(list(ScansEnv.allowList)), scanners: list(ScansEnv.scanners) };
}
