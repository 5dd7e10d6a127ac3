import { evidenceOf, exposuresOf, reaches, reachesEverything, type Exposure, type Opening } from "./exposure";
import { describePorts, PORT_CHECKS, type PortCheck } from "./ports";
import type {
  Cache,
  Collected,
  Finding,
  NetworkInterface,
  Plugin,
  SecurityGroup,
  Severity,
  Status,
} from "./types";

const INGRESS_TRIGGERS = [
  "ec2:CreateSecurityGroup",
  "ec2:AuthorizeSecurityGroupIngress",
  "ec2:ModifySecurityGroupRules",
  "ec2:RevokeSecurityGroupIngress",
  "ec2:DeleteSecurityGroup",
  // These change whether a group is attached to anything, which moves a finding between WARN and FAIL.
  "ec2:RunInstances",
  "ec2:CreateNetworkInterface",
  "ec2:ModifyNetworkInterfaceAttribute",
];
const EGRESS_TRIGGERS = [
  "ec2:CreateSecurityGroup",
  "ec2:AuthorizeSecurityGroupEgress",
  "ec2:ModifySecurityGroupRules",
  "ec2:RevokeSecurityGroupEgress",
  "ec2:DeleteSecurityGroup",
];
const APIS = ["EC2:describeSecurityGroups", "EC2:describeNetworkInterfaces"];

const SKIP_UNUSED = "ec2_skip_unused_groups";
const INGRESS_SETTINGS = {
  [SKIP_UNUSED]: {
    name: "EC2 Skip Unused Groups",
    description:
      "When true, a group open to the world but attached to no network interface is WARN rather than FAIL (only when network interface data was collected)",
    default: "true",
  },
};

/** What a plugin decides about one group. */
interface Verdict {
  status: Status;
  message: string;
  offending?: Opening[];
}

interface GroupContext {
  group: SecurityGroup;
  exposure: Exposure;
  label: string;
  /** Network interfaces using the group, or undefined when no interface data was collected. */
  attachments: number | undefined;
  settings: Record<string, string>;
}

const usageMemo = new WeakMap<Collected<NetworkInterface>, Map<string, number>>();

/** Per region, how many network interfaces use each group; undefined when unknown (absent or errored). */
function usageOf(cache: Cache, region: string): Map<string, number> | undefined {
  const enis = cache.ec2.describeNetworkInterfaces?.[region];
  if (!enis || enis.err || !enis.data) return undefined;
  let usage = usageMemo.get(enis);
  if (!usage) {
    usage = new Map();
    for (const eni of enis.data)
      for (const g of eni.Groups ?? []) if (g.GroupId) usage.set(g.GroupId, (usage.get(g.GroupId) ?? 0) + 1);
    usageMemo.set(enis, usage);
  }
  return usage;
}

export function groupArn(region: string, account: string | undefined, groupId: string): string {
  return `arn:aws:ec2:${region}:${account ?? ""}:security-group/${groupId}`;
}

interface PluginDef {
  name: string;
  title: string;
  description: string;
  severity: Severity;
  realtime_triggers: string[];
  settings: Plugin["settings"];
  judge(ctx: GroupContext): Verdict;
}

/** A plugin that judges each security group of the region on its own. */
function groupPlugin(def: PluginDef): Plugin {
  const { judge, ...meta } = def;
  const defaults = Object.fromEntries(Object.entries(def.settings).map(([k, s]) => [k, s.default]));
  return {
    ...meta,
    category: "EC2",
    apis: APIS,
    run(cache, settings, region) {
      const collected = cache.ec2.describeSecurityGroups[region];
      if (!collected) return [];
      const merged = { ...defaults, ...settings };
      if (collected.err || !collected.data) {
        return [
          {
            plugin: def.name,
            title: def.title,
            status: "UNKNOWN",
            severity: def.severity,
            region,
            ...(cache.account ? { account: cache.account } : {}),
            resource: groupArn(region, cache.account, "*"),
            message: `Unable to query for security groups: ${errorText(collected.err)}`,
            evidence: {},
          },
        ];
      }
      const usage = usageOf(cache, region);
      const exposures = exposuresOf(collected.data);
      const out: Finding[] = new Array(collected.data.length);
      for (let i = 0; i < collected.data.length; i++) {
        const group = collected.data[i];
        const groupId = group.GroupId ?? "";
        const account = group.OwnerId ?? cache.account;
        const label = group.GroupName ? `${groupId} (${group.GroupName})` : groupId;
        const attachments = usage ? (usage.get(groupId) ?? 0) : undefined;
        const v = judge({ group, exposure: exposures[i], label, attachments, settings: merged });
        out[i] = {
          plugin: def.name,
          title: def.title,
          status: v.status,
          severity: def.severity,
          region,
          ...(account ? { account } : {}),
          resource: groupArn(region, account, groupId),
          message: v.message,
          evidence: {
            groupId,
            ...(group.GroupName ? { groupName: group.GroupName } : {}),
            ...(group.VpcId ? { vpcId: group.VpcId } : {}),
            ...(attachments !== undefined ? { networkInterfaces: attachments } : {}),
            ...(v.offending ? { permissions: v.offending.map(evidenceOf) } : {}),
          },
        };
      }
      return out;
    },
  };
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === "object" && "message" in err)
    return String((err as { message: unknown }).message);
  return err === undefined ? "no data" : JSON.stringify(err);
}

const sourcesOf = (os: Opening[]) =>
  [...new Set(os.flatMap((o) => (o.world.length ? o.world : o.prefixLists)))].join(", ");

/** FAIL, or WARN when the group is known to be attached to nothing and the setting allows it. */
function openVerdict(ctx: GroupContext, what: string, offending: Opening[]): Verdict {
  const where = `${what} open to ${sourcesOf(offending)}`;
  if (ctx.attachments === 0 && ctx.settings[SKIP_UNUSED] !== "false") {
    return {
      status: "WARN",
      message: `Security group ${ctx.label} has ${where}, but is attached to no network interface`,
      offending,
    };
  }
  return { status: "FAIL", message: `Security group ${ctx.label} has ${where}`, offending };
}

/** The verdict of an ingress check given which openings match it. */
function ingressVerdict(ctx: GroupContext, what: string, matches: (o: Opening) => boolean): Verdict {
  let world: Opening[] | undefined;
  let viaList: Opening[] | undefined;
  for (const o of ctx.exposure.ingress) {
    if (!matches(o)) continue;
    if (o.world.length) (world ??= []).push(o);
    else (viaList ??= []).push(o);
  }
  if (world) return openVerdict(ctx, what, world);
  // A prefix list may hold 0.0.0.0/0; its entries are not in the group data, so this cannot be called OK.
  if (viaList) {
    return {
      status: "UNKNOWN",
      message: `Security group ${ctx.label} grants ${what} through prefix list ${sourcesOf(viaList)}, whose entries were not checked`,
      offending: viaList,
    };
  }
  return { status: "OK", message: `Security group ${ctx.label} has no ${what} open to the world` };
}

function portPlugin(check: PortCheck): Plugin {
  const tcp = check.tcp ?? [];
  const udp = check.udp ?? [];
  const ports = describePorts(check);
  const what = `${check.service} (${ports})`;
  const matches = (o: Opening) =>
    tcp.some((p) => reaches(o, "tcp", p)) || udp.some((p) => reaches(o, "udp", p));
  return groupPlugin({
    name: check.name,
    title: `Open ${check.service}`,
    description: `Determine if ${ports} for ${check.service} is open to the public (0.0.0.0/0 or ::/0)`,
    severity: check.severity,
    realtime_triggers: INGRESS_TRIGGERS,
    settings: INGRESS_SETTINGS,
    judge: (ctx) => ingressVerdict(ctx, what, matches),
  });
}

const allPorts = groupPlugin({
  name: "openAllPortsProtocols",
  title: "Open All Ports Protocols",
  description:
    "Determine if every protocol, or every TCP or UDP port, is open to the public (0.0.0.0/0 or ::/0)",
  severity: "critical",
  realtime_triggers: INGRESS_TRIGGERS,
  settings: INGRESS_SETTINGS,
  judge: (ctx) => ingressVerdict(ctx, "all ports", reachesEverything),
});

// Every group is created with all egress open to the world, so this is a WARN at most, never an alert.
const allPortsEgress = groupPlugin({
  name: "openAllPortsProtocolsEgress",
  title: "Open All Ports Protocols Egress",
  description: "Determine if every protocol or port is open to the public for outbound traffic",
  severity: "low",
  realtime_triggers: EGRESS_TRIGGERS,
  settings: {},
  judge(ctx) {
    const offending = ctx.exposure.egress.filter((o) => o.world.length && reachesEverything(o));
    return offending.length
      ? {
          status: "WARN",
          message: `Security group ${ctx.label} allows all outbound traffic to ${sourcesOf(offending)}`,
          offending,
        }
      : {
          status: "OK",
          message: `Security group ${ctx.label} does not allow all outbound traffic to the world`,
        };
  },
});

export const PLUGINS: Readonly<Record<string, Plugin>> = Object.freeze(
  Object.fromEntries([allPorts, allPortsEgress, ...PORT_CHECKS.map(portPlugin)].map((p) => [p.name, p])),
);

const byLowerName = new Map<string, Plugin>();
for (const p of Object.values(PLUGINS)) byLowerName.set(p.name.toLowerCase(), p);
for (const c of PORT_CHECKS) if (c.alias) byLowerName.set(c.alias.toLowerCase(), PLUGINS[c.name]);

export class UnknownPluginError extends Error {
  constructor(readonly unknown: string[]) {
    super(
      `unknown plugin${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")} (known: ${Object.keys(PLUGINS).join(", ")})`,
    );
    this.name = "UnknownPluginError";
  }
}

/** The named plugins, by our name or CloudSploit's (any letter case), in order and without duplicates. */
export function selectPlugins(names: string[]): Plugin[] {
  const unknown: string[] = [];
  const picked = new Set<Plugin>();
  for (const raw of names) {
    const name = raw.trim();
    if (!name) continue;
    const p = byLowerName.get(name.toLowerCase());
    if (p) picked.add(p);
    else unknown.push(name);
  }
  if (unknown.length) throw new UnknownPluginError(unknown);
  return [...picked];
}

/** Every plugin over every region: plugins run in-process, and share one analysis of each group. */
export function runPlugins(
  plugins: Plugin[],
  cache: Cache,
  regions: string[],
  settings: Record<string, string> = {},
): Finding[] {
  const out: Finding[] = [];
  for (const region of regions)
    for (const p of plugins) for (const f of p.run(cache, settings, region)) out.push(f);
  return out;
}
