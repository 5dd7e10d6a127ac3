import { cacheFromDescribe } from "./cache";
import { PLUGINS, runPlugins } from "./plugins";
import type { EventMapping, Finding, IpPermission, Plugin, SecurityGroup } from "./types";

const GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const RULE_ID = /^sgr-[0-9a-f]{8,17}$/;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
/** CloudTrail writes lists as `{ items: [...] }`; the EC2 query API's JSON (Modify*) writes them bare or singly. */
const items = (v: unknown): Json[] => {
  const o = obj(v);
  const list = o ? ("items" in o ? o.items : Object.keys(o).length ? [o] : []) : v;
  return (Array.isArray(list) ? list : []).map(obj).filter((x): x is Json => !!x);
};
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined =>
  typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : undefined;

/** service:EventName → the plugins that name it. */
function triggerIndex(plugins: readonly Plugin[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of plugins) for (const t of p.realtime_triggers) out.set(t, [...(out.get(t) ?? []), p.name]);
  return out;
}
const ALL_TRIGGERS = triggerIndex(Object.values(PLUGINS));

/** The triggers of the given plugins grouped by EventBridge source, e.g. `{ source: "aws.ec2", eventNames }`. */
export function realtimeTriggers(
  plugins: Plugin[] = Object.values(PLUGINS),
): { source: string; eventNames: string[] }[] {
  const bySource = new Map<string, Set<string>>();
  for (const p of plugins) {
    for (const t of p.realtime_triggers) {
      const [service, eventName] = t.split(":");
      const source = `aws.${service.toLowerCase()}`;
      if (!bySource.has(source)) bySource.set(source, new Set());
      bySource.get(source)!.add(eventName);
    }
  }
  return [...bySource.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([source, names]) => ({ source, eventNames: [...names].sort() }));
}

const notRelevant = (reason: string, extra: Partial<EventMapping> = {}): EventMapping => ({
  relevant: false,
  reason,
  ...extra,
  plugins: [],
  groupIds: [],
  ruleIds: [],
  immediate: [],
});

/** The CloudTrail record, from an EventBridge "AWS API Call via CloudTrail" event or bare. */
function recordOf(event: Json): { record?: Json; region?: string; account?: string; reason?: string } {
  if ("detail-type" in event || "detail" in event) {
    const type = event["detail-type"];
    if (type !== "AWS API Call via CloudTrail")
      return { reason: `detail-type is ${JSON.stringify(type)}, not "AWS API Call via CloudTrail"` };
    const record = obj(event.detail);
    if (!record) return { reason: "the event has no detail object" };
    return { record, region: str(event.region), account: str(event.account) };
  }
  return { record: event };
}

/** Groups whose state the event changed, from the request, or from the response where the request names only rules. */
function groupIdsOf(rp: Json, re: Json): string[] {
  const modify = obj(rp.ModifySecurityGroupRulesRequest);
  const candidates: unknown[] = [rp.groupId, modify?.GroupId, re.groupId];
  for (const set of [re.securityGroupRuleSet, re.revokedSecurityGroupRuleSet])
    for (const r of items(set)) candidates.push(r.groupId);
  // Attach/detach: RunInstances, CreateNetworkInterface, ModifyNetworkInterfaceAttribute.
  for (const g of items(rp.groupSet)) candidates.push(g.groupId);
  for (const eni of items(rp.networkInterfaceSet))
    for (const g of items(eni.groupSet)) candidates.push(g.groupId);
  for (const inst of items(obj(re.instancesSet)))
    for (const g of items(inst.groupSet)) candidates.push(g.groupId);
  for (const g of items(obj(re.networkInterface)?.groupSet)) candidates.push(g.groupId);
  return unique(candidates, GROUP_ID);
}

function ruleIdsOf(rp: Json, re: Json): string[] {
  const modify = obj(rp.ModifySecurityGroupRulesRequest);
  const candidates: unknown[] = [];
  for (const r of items(rp.securityGroupRuleIds)) candidates.push(r.securityGroupRuleId);
  if (Array.isArray(rp.securityGroupRuleIds)) candidates.push(...rp.securityGroupRuleIds);
  for (const r of items(modify?.SecurityGroupRule)) candidates.push(r.SecurityGroupRuleId);
  for (const set of [re.securityGroupRuleSet, re.revokedSecurityGroupRuleSet])
    for (const r of items(set)) candidates.push(r.securityGroupRuleId);
  return unique(candidates, RULE_ID);
}

function unique(values: unknown[], pattern: RegExp): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === "string" && pattern.test(v)))];
}

/** CloudTrail's ipPermissions (`{items: [{ipProtocol, ipRanges: {items: [{cidrIp}]}, ...}]}`) in the API's shape. */
export function permissionsFromCloudTrail(ipPermissions: unknown): IpPermission[] {
  return items(ipPermissions).map((p) => ({
    IpProtocol: str(p.ipProtocol) ?? String(p.ipProtocol ?? ""),
    ...(num(p.fromPort) !== undefined ? { FromPort: num(p.fromPort) } : {}),
    ...(num(p.toPort) !== undefined ? { ToPort: num(p.toPort) } : {}),
    IpRanges: items(p.ipRanges).flatMap((r) => (str(r.cidrIp) ? [{ CidrIp: str(r.cidrIp) }] : [])),
    Ipv6Ranges: items(p.ipv6Ranges).flatMap((r) => (str(r.cidrIpv6) ? [{ CidrIpv6: str(r.cidrIpv6) }] : [])),
    PrefixListIds: items(p.prefixListIds).flatMap((r) =>
      str(r.prefixListId) ? [{ PrefixListId: str(r.prefixListId) }] : [],
    ),
    UserIdGroupPairs: items(p.groups).flatMap((g) => (str(g.groupId) ? [{ GroupId: str(g.groupId) }] : [])),
  }));
}

/** The rules an Authorize call adds: `ipPermissions`, or the older single-rule parameters. */
function addedPermissions(rp: Json): IpPermission[] {
  const perms = permissionsFromCloudTrail(rp.ipPermissions);
  if (perms.length || rp.ipProtocol === undefined) return perms;
  return [
    {
      IpProtocol: String(rp.ipProtocol),
      ...(num(rp.fromPort) !== undefined ? { FromPort: num(rp.fromPort) } : {}),
      ...(num(rp.toPort) !== undefined ? { ToPort: num(rp.toPort) } : {}),
      IpRanges: str(rp.cidrIp) ? [{ CidrIp: str(rp.cidrIp) }] : [],
    },
  ];
}

/**
 * Non-OK findings for the rules an Authorize call adds, judged as if they were the group's only rules
 * (an added rule can make a group worse, never prove it OK). ModifySecurityGroupRules is left to the
 * live state: its request does not say whether the rule it rewrites is ingress or egress.
 */
function immediateOf(
  eventName: string,
  rp: Json,
  groupId: string | undefined,
  plugins: string[],
  region: string,
  account?: string,
): Finding[] {
  const ingress = eventName === "AuthorizeSecurityGroupIngress";
  if (!groupId || (!ingress && eventName !== "AuthorizeSecurityGroupEgress")) return [];
  const added = addedPermissions(rp);
  if (!added.length) return [];
  const group: SecurityGroup = {
    GroupId: groupId,
    ...(account ? { OwnerId: account } : {}),
    ...(ingress ? { IpPermissions: added } : { IpPermissionsEgress: added }),
  };
  const cache = cacheFromDescribe(region, { SecurityGroups: [group] }, undefined, account);
  return runPlugins(
    plugins.map((n) => PLUGINS[n]),
    cache,
    [region],
  ).filter((f) => f.status !== "OK");
}

/** Which plugins and resources a CloudTrail API call concerns; irrelevant input is reported, never thrown. */
export function mapEvent(event: unknown, plugins?: Plugin[]): EventMapping {
  const byTrigger = plugins ? triggerIndex(plugins) : ALL_TRIGGERS;
  const e = obj(event);
  if (!e) return notRelevant("the event is not a JSON object");
  const { record, reason, ...envelope } = recordOf(e);
  if (!record) return notRelevant(reason!);
  const eventName = str(record.eventName);
  const region = str(record.awsRegion) ?? envelope.region;
  const account = str(record.recipientAccountId) ?? envelope.account;
  const ctx = {
    ...(eventName ? { eventName } : {}),
    ...(region ? { region } : {}),
    ...(account ? { account } : {}),
  };
  if (!eventName) return notRelevant("the event has no eventName (not a CloudTrail record)", ctx);
  // `ec2.amazonaws.com` → `ec2`: triggers are named `service:EventName`, EventBridge sources `aws.service`.
  const service = str(record.eventSource)?.split(".")[0] ?? "";
  const sources = new Set(realtimeTriggers(plugins).map((t) => t.source));
  if (!sources.has(`aws.${service.toLowerCase()}`))
    return notRelevant(`eventSource ${JSON.stringify(record.eventSource)} is not watched by any plugin`, ctx);
  const errorCode = str(record.errorCode);
  if (errorCode)
    return notRelevant(
      `the call failed (${errorCode}${record.errorMessage ? `: ${String(record.errorMessage)}` : ""}), so nothing changed`,
      ctx,
    );
  const trigger = `${service}:${eventName}`;
  const watching = byTrigger.get(trigger);
  if (!watching) return notRelevant(`no plugin watches ${trigger}`, ctx);
  if (!region) return notRelevant("the event names no region", ctx);
  const rp = obj(record.requestParameters) ?? {};
  const re = obj(record.responseElements) ?? {};
  const groupIds = groupIdsOf(rp, re);
  const ruleIds = ruleIdsOf(rp, re);
  if (!groupIds.length && !ruleIds.length)
    return notRelevant(`${trigger} names no security group or rule id`, ctx);
  return {
    relevant: true,
    reason: `${trigger} is watched by ${watching.length} plugin${watching.length > 1 ? "s" : ""}`,
    ...ctx,
    plugins: [...watching],
    groupIds,
    ruleIds,
    immediate: immediateOf(eventName, rp, groupIds[0], watching, region, account),
  };
}
