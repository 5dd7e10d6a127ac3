import {
  exposureOf,
  permissionEvidence,
  sourcesText,
  reachesEverything,
  type Exposure,
  type Opening,
} from "./exposure";
import { ALL_PORTS, ingressHits, type Hits } from "./port-index";
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
  // Replaces a running instance's groups (requestParameters.groupSet). Detaching a group needs no
  // event of its own: FAIL→WARN is caught by the daily sweep.
  "ec2:ModifyInstanceAttribute",
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

/** What a plugin decides about a group that is not OK. */
interface Verdict {
  status: Exclude<Status, "OK">;
  message: string;
  offending: Opening[];
}

/** One group as every plugin of a run sees it: analysed, named and counted once. */
interface GroupView {
  group: SecurityGroup;
  exposure: Exposure;
  account: string | undefined;
  arn: string;
  label: string;
  /** Network interfaces using the group, or undefined when no interface data was collected. */
  attachments: number | undefined;
  /** Per check, the ingress openings that reach it; undefined when none reaches any. */
  hits: Hits | undefined;
  /** The evidence of every OK finding on the group: shared between plugins, so frozen. */
  okEvidence: Readonly<Record<string, unknown>>;
}

// One entry per collected group list (not per group: a WeakMap keyed by each of many groups makes the
// garbage collector's ephemeron pass dominate a large run).
const viewMemo = new WeakMap<
  SecurityGroup[],
  { key: string; usage: Map<string, number> | undefined; groups: SecurityGroup[]; views: GroupView[] }
>();

function viewsOf(
  groups: SecurityGroup[],
  region: string,
  account: string | undefined,
  usage: Map<string, number> | undefined,
): GroupView[] {
  const key = `${region}|${account ?? ""}`;
  const hit = viewMemo.get(groups);
  // A list changed in place since (same array, other groups) is analysed afresh.
  if (
    hit &&
    hit.key === key &&
    hit.usage === usage &&
    hit.groups.length === groups.length &&
    hit.groups.every((g, i) => g === groups[i])
  ) {
    return hit.views;
  }
  const views = groups.map((group): GroupView => {
    const groupId = group.GroupId ?? "";
    const owner = group.OwnerId ?? account;
    const attachments = usage ? (usage.get(groupId) ?? 0) : undefined;
    const exposure = exposureOf(group);
    return {
      group,
      exposure,
      hits: ingressHits(exposure.ingress),
      account: owner,
      arn: groupArn(region, owner, groupId),
      label: group.GroupName ? `${groupId} (${group.GroupName})` : groupId,
      attachments,
      okEvidence: Object.freeze(groupEvidence(group, attachments)),
    };
  });
  viewMemo.set(groups, { key, usage, groups: [...groups], views });
  return views;
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
  /** The message of every OK finding: the resource names the group, so it need not. */
  okMessage: string;
  /** undefined when the group is OK. */
  judge(view: GroupView, settings: Record<string, string>): Verdict | undefined;
}

/** A plugin that judges each security group of the region on its own. */
function groupPlugin(def: PluginDef): Plugin {
  const { judge, okMessage, ...meta } = def;
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
      const views = viewsOf(collected.data, region, cache.account, usageOf(cache, region));
      const out: Finding[] = new Array(views.length);
      for (let i = 0; i < views.length; i++) {
        const view = views[i];
        const v = judge(view, merged);
        // Most findings are OK: each of those is one object, with a constant message and the group's
        // shared evidence, so a run over every plugin allocates little beyond its output.
        out[i] = {
          plugin: def.name,
          title: def.title,
          status: v ? v.status : "OK",
          severity: def.severity,
          region,
          account: view.account,
          resource: view.arn,
          message: v ? v.message : okMessage,
          evidence: v ? offendingEvidence(view, v.offending) : view.okEvidence,
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

/** What names the group in evidence (assigned, not spread: this runs once per group and finding). */
function groupEvidence(group: SecurityGroup, attachments: number | undefined): Record<string, unknown> {
  const e: Record<string, unknown> = { groupId: group.GroupId };
  if (group.GroupName) e.groupName = group.GroupName;
  if (group.VpcId) e.vpcId = group.VpcId;
  if (attachments !== undefined) e.networkInterfaces = attachments;
  return e;
}

/** The group's evidence and the offending permissions, as the API wrote them. */
function offendingEvidence(view: GroupView, offending: Opening[]): Record<string, unknown> {
  const e = groupEvidence(view.group, view.attachments);
  e.permissions = offending.map(permissionEvidence);
  return e;
}

function sourcesOf(os: Opening[]): string {
  if (os.length === 1) return sourcesText(os[0]);
  return [...new Set(os.map(sourcesText))].join(", ");
}

/** FAIL, or WARN when the group is known to be attached to nothing and the setting allows it. */
function openVerdict(
  ctx: GroupView,
  settings: Record<string, string>,
  what: string,
  offending: Opening[],
): Verdict {
  const where = `${what} open to ${sourcesOf(offending)}`;
  if (ctx.attachments === 0 && settings[SKIP_UNUSED] !== "false") {
    return {
      status: "WARN",
      message: `Security group ${ctx.label} has ${where}, but is attached to no network interface`,
      offending,
    };
  }
  return { status: "FAIL", message: `Security group ${ctx.label} has ${where}`, offending };
}

/** The verdict of an ingress check given which openings match it. */
/** The verdict of an ingress check (its index in the port table, or ALL_PORTS) on a group. */
function ingressVerdict(
  view: GroupView,
  settings: Record<string, string>,
  what: string,
  check: number,
): Verdict | undefined {
  const reaching = view.hits?.[check];
  if (!reaching) return undefined;
  const world = reaching.filter((o) => o.world.length);
  if (world.length) return openVerdict(view, settings, what, world);
  // A prefix list may hold 0.0.0.0/0; its entries are not in the group data, so this cannot be called OK.
  return {
    status: "UNKNOWN",
    message: `Security group ${view.label} grants ${what} through prefix list ${sourcesOf(reaching)}, whose entries were not checked`,
    offending: reaching,
  };
}

function portPlugin(check: PortCheck, index: number): Plugin {
  const ports = describePorts(check);
  const what = `${check.service} (${ports})`;
  return groupPlugin({
    name: check.name,
    title: `Open ${check.service}`,
    description: `Determine if ${ports} for ${check.service} is open to the public (0.0.0.0/0 or ::/0)`,
    severity: check.severity,
    realtime_triggers: INGRESS_TRIGGERS,
    settings: INGRESS_SETTINGS,
    okMessage: `No ${what} open to the world`,
    judge: (view, settings) => ingressVerdict(view, settings, what, index),
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
  okMessage: "No protocol or port range open to the world in full",
  judge: (view, settings) => ingressVerdict(view, settings, "all ports", ALL_PORTS),
});

// Every group is created with all egress open to the world, so this is a WARN at most, never an alert.
const allPortsEgress = groupPlugin({
  name: "openAllPortsProtocolsEgress",
  title: "Open All Ports Protocols Egress",
  description: "Determine if every protocol or port is open to the public for outbound traffic",
  severity: "low",
  realtime_triggers: EGRESS_TRIGGERS,
  settings: {},
  okMessage: "Outbound traffic to the world is not open in full",
  judge(ctx) {
    const everything = ctx.exposure.egress.filter(reachesEverything);
    const offending = everything.filter((o) => o.world.length);
    if (offending.length)
      return {
        status: "WARN",
        message: `Security group ${ctx.label} allows all outbound traffic to ${sourcesOf(offending)}`,
        offending,
      };
    // A prefix list may hold 0.0.0.0/0; its entries are not in the group data, so this is not OK.
    const listed = everything.filter((o) => o.prefixLists.length);
    if (!listed.length) return undefined;
    return {
      status: "UNKNOWN",
      message: `Security group ${ctx.label} allows all outbound traffic to prefix list ${sourcesOf(listed)}, whose entries were not checked`,
      offending: listed,
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
  const parts: Finding[][] = [];
  for (const region of regions) for (const p of plugins) parts.push(p.run(cache, settings, region));
  // One allocation of the result: pushing finding by finding regrows (and copies) a large array many times.
  return parts.length === 1 ? parts[0] : ([] as Finding[]).concat(...parts);
}
