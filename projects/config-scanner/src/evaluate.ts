import type { NetworkInterface, SecurityGroup } from "@aws-sdk/client-ec2";
import {
  REMOVED,
  isSweep,
  type AlertTransition,
  type ConfigScanRequest,
  type StateStatus,
} from "@sec-an/contracts";
import { PermanentFailure } from "@sec-an/runtime";
import { alertMessage, findingPorts, type AlertMessage } from "./alerts/message";
import { describeAll, describeGroups, type Ec2For, type LiveState } from "./collect/ec2";
import {
  PLUGINS,
  cacheFromDescribe,
  mapEvent,
  runPlugins,
  selectPlugins,
  type Finding,
  type Plugin,
} from "./engine";
import type { FindingsState, PendingAlert, StoredEntry } from "./state/store";

/**
 * One evaluation: a CloudTrail event (or a sweep) → the groups it names → their live state → the
 * plugins → findings → state transitions → alerts. The result is the raw result the lake keeps and the
 * parser turns into documents.
 */

export interface EvaluateDeps {
  readonly ec2For: Ec2For;
  readonly state: FindingsState;
  readonly publish: (alert: AlertMessage) => Promise<void>;
  readonly now: () => Date;
  /** The account the function runs in: a sweep's, and an event's when it names none. */
  readonly homeAccount?: string;
}

/** A group evaluated, with the interfaces it is attached to. */
export interface GroupRecord {
  readonly groupId: string;
  readonly groupName?: string;
  readonly vpcId?: string;
  readonly inUse: boolean;
  readonly eniIds: string[];
  readonly publicIps: string[];
  readonly privateIps: string[];
}

export interface AlertRecord {
  readonly plugin: string;
  readonly resource: string;
  readonly status: StateStatus;
  readonly transition: AlertTransition;
  readonly subject: string;
}

/** The raw result of one evaluation (JSON in the lake). */
export interface Evaluation {
  readonly kind: "event" | "sweep";
  /** The CloudTrail event name, or `sweep`. */
  readonly trigger: string;
  readonly relevant: boolean;
  readonly reason: string;
  readonly region?: string;
  readonly account?: string;
  readonly plugins: string[];
  readonly groupIds: string[];
  readonly groups: GroupRecord[];
  /** Ids of named groups that no longer exist: their findings are resolved, their documents cleared. */
  readonly removed: string[];
  readonly findings: Finding[];
  /** The engine's evaluation of the change the request itself carried. */
  readonly immediate: Finding[];
  readonly alerts: AlertRecord[];
  /** The Describe output the plugins ran on, as AWS returned it. */
  readonly live: { SecurityGroups: SecurityGroup[]; NetworkInterfaces: NetworkInterface[] };
}

const GROUP_OF_ARN = /security-group\/(sg-[0-9a-f]+)$/;
/** The group id at the end of a security-group ARN (undefined for any other resource). */
export const groupIdOf = (arn: string) => GROUP_OF_ARN.exec(arn)?.[1];

/** Interfaces per group: which interfaces carry it, and their addresses. */
export function groupRecords(live: LiveState): GroupRecord[] {
  return live.groups.flatMap((g) => {
    if (!g.GroupId) return [];
    const enis = live.interfaces.filter((n) => (n.Groups ?? []).some((x) => x.GroupId === g.GroupId));
    const uniq = (xs: (string | undefined)[]) => [...new Set(xs.filter((x): x is string => !!x))].sort();
    return [
      {
        groupId: g.GroupId,
        ...(g.GroupName ? { groupName: g.GroupName } : {}),
        ...(g.VpcId ? { vpcId: g.VpcId } : {}),
        inUse: enis.length > 0,
        eniIds: uniq(enis.map((n) => n.NetworkInterfaceId)),
        // Globally routable: elastic/public IPv4 associations and IPv6 addresses.
        publicIps: uniq(
          enis.flatMap((n) => [
            n.Association?.PublicIp,
            ...(n.PrivateIpAddresses ?? []).map((p) => p.Association?.PublicIp),
            ...(n.Ipv6Addresses ?? []).map((a) => a.Ipv6Address),
          ]),
        ),
        privateIps: uniq(
          enis.flatMap((n) => [
            n.PrivateIpAddress,
            ...(n.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress),
          ]),
        ),
      },
    ];
  });
}

const empty = (
  kind: Evaluation["kind"],
  trigger: string,
  reason: string,
  extra: Partial<Evaluation> = {},
): Evaluation => ({
  kind,
  trigger,
  relevant: false,
  reason,
  plugins: [],
  groupIds: [],
  groups: [],
  removed: [],
  findings: [],
  immediate: [],
  alerts: [],
  live: { SecurityGroups: [], NetworkInterfaces: [] },
  ...extra,
});

function plugins(names: string[]): Plugin[] {
  try {
    return selectPlugins(names);
  } catch (e) {
    throw new PermanentFailure("unknown-plugin", (e as Error).message, { cause: e });
  }
}

export async function evaluate(request: ConfigScanRequest, deps: EvaluateDeps): Promise<Evaluation> {
  if (isSweep(request)) return sweep(request.region, request.account ?? deps.homeAccount, deps);
  const m = mapEvent(request);
  const trigger = m.eventName ?? "unknown";
  if (!m.relevant) return empty("event", trigger, m.reason, { immediate: m.immediate });
  if (!m.region) throw new PermanentFailure("malformed", `event ${trigger} names no region`);
  const account = m.account ?? deps.homeAccount;
  plugins(m.plugins); // an unknown name is the engine's error: dead-letter it, whatever runs below
  // Every plugin judges the named groups (in-process, microseconds each): a group's findings are then
  // always complete, so its documents form one collection per group and state never goes stale.
  const selected = Object.values(PLUGINS);
  if (m.groupIds.length === 0)
    return empty("event", trigger, `${m.reason}; no security group ids to describe`, {
      relevant: true,
      region: m.region,
      account,
      plugins: m.plugins,
      immediate: m.immediate,
    });
  const live = await describeGroups(deps.ec2For(m.region, account), m.groupIds, {
    region: m.region,
    account,
  });
  const present = new Set(live.groups.map((g) => g.GroupId));
  const removed = [...new Set(m.groupIds)].filter((id) => !present.has(id)).sort();
  return finish(
    {
      kind: "event",
      trigger,
      reason: m.reason,
      region: m.region,
      account,
      groupIds: m.groupIds,
      immediate: m.immediate,
    },
    selected,
    live,
    removed,
    deps,
  );
}

async function sweep(region: string, account: string | undefined, deps: EvaluateDeps): Promise<Evaluation> {
  const all = Object.values(PLUGINS);
  const live = await describeAll(deps.ec2For(region, account), { region, account });
  const present = new Set(live.groups.map((g) => g.GroupId));
  // Groups the state still holds that the region no longer has: drift no event reported.
  const stored = new Map<string, StoredEntry>();
  for (const p of all)
    for (const e of await deps.state.resources(p.name, region, account ?? "")) stored.set(stateKey(e), e);
  const known = new Set([...stored.values()].map((e) => groupIdOf(e.resource) ?? e.resource));
  const removed = [...known].filter((id) => !present.has(id)).sort();
  return finish(
    {
      kind: "sweep",
      trigger: "sweep",
      reason: "daily sweep of every group",
      region,
      account,
      groupIds: [],
      immediate: [],
    },
    all,
    live,
    removed,
    deps,
    stored,
  );
}

const stateKey = (e: { plugin: string; resource: string }) => `${e.plugin}\u0000${e.resource}`;
/** State writes in flight at once: a sweep records thousands of findings, an event a few dozen. */
const WRITES_AT_ONCE = 16;

/** `fn` over `xs`, at most `n` at a time, results in order. */
async function pooled<T, R>(xs: readonly T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(xs.length);
  let next = 0;
  const worker = async () => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await fn(xs[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, xs.length) }, worker));
  return out;
}

type Head = Pick<Evaluation, "kind" | "trigger" | "reason" | "region" | "account" | "groupIds" | "immediate">;

async function finish(
  head: Head & { region: string },
  selected: Plugin[],
  live: LiveState,
  removed: string[],
  deps: EvaluateDeps,
  /** The region's stored entries, when already read (the sweep): unchanged ones need no write. */
  stored?: ReadonlyMap<string, StoredEntry>,
): Promise<Evaluation> {
  const { region } = head;
  const account = head.account ?? "";
  const cache = cacheFromDescribe(
    region,
    { SecurityGroups: live.groups },
    { NetworkInterfaces: live.interfaces },
    head.account,
  );
  const findings = runPlugins(selected, cache, [region]);
  const groups = groupRecords(live);
  const now = deps.now();

  const pending: { alert: PendingAlert; finding?: Finding }[] = [];
  const changed = findings.filter((f) => {
    const known = stored?.get(stateKey(f));
    return !known || known.status !== f.status || known.pending;
  });
  const recorded = await pooled(changed, WRITES_AT_ONCE, (f) =>
    deps.state.record(
      {
        plugin: f.plugin,
        resource: f.resource,
        status: f.status,
        severity: f.severity,
        region,
        account: f.account ?? account,
      },
      now,
    ),
  );
  recorded.forEach((alert, i) => alert && pending.push({ alert, finding: changed[i] }));
  // A deleted group resolves whatever any plugin held against it.
  const gone = new Set(removed);
  if (gone.size)
    for (const p of Object.values(PLUGINS))
      for (const e of await deps.state.resources(p.name, region, account)) {
        const id = groupIdOf(e.resource);
        if (!id || !gone.has(id)) continue;
        const alert = await deps.state.record({ ...e, status: REMOVED }, now);
        if (alert) pending.push({ alert });
      }

  const alerts: AlertRecord[] = [];
  for (const { alert, finding } of pending) {
    const g = groups.find((x) => x.groupId === groupIdOf(alert.entry.resource));
    const plugin = PLUGINS[alert.entry.plugin];
    const evidence = finding?.evidence ?? {};
    const msg = alertMessage({
      plugin: alert.entry.plugin,
      title: finding?.title ?? plugin?.title ?? alert.entry.plugin,
      status: alert.entry.status,
      before: alert.before,
      transition: alert.transition,
      severity: alert.entry.severity,
      region: alert.entry.region,
      account: alert.entry.account,
      resource: alert.entry.resource,
      groupId: groupIdOf(alert.entry.resource) ?? alert.entry.resource,
      groupName: g?.groupName,
      vpcId: g?.vpcId,
      message: finding?.message ?? "the security group no longer exists",
      ports: findingPorts(alert.entry.plugin, evidence),
      evidence,
      publicIps: g?.publicIps ?? [],
      privateIps: g?.privateIps ?? [],
      trigger: head.trigger,
    });
    await deps.publish(msg);
    await deps.state.published(alert);
    alerts.push({
      plugin: alert.entry.plugin,
      resource: alert.entry.resource,
      status: alert.entry.status,
      transition: alert.transition,
      subject: msg.subject,
    });
  }
  return {
    ...head,
    relevant: true,
    plugins: selected.map((p) => p.name),
    groups,
    removed,
    findings,
    alerts,
    live: { SecurityGroups: live.groups, NetworkInterfaces: live.interfaces },
  };
}
