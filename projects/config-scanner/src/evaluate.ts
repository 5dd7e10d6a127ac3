import type { NetworkInterface, SecurityGroup } from "@aws-sdk/client-ec2";
import {
  REMOVED,
  SchemaError,
  SweepRequest,
  isSweep,
  validate,
  type AlertTransition,
  type ConfigScanRequest,
  type StateStatus,
} from "@sec-an/contracts";
import { PermanentFailure } from "@sec-an/runtime";
import { alertMessage, findingPorts, type AlertCheck, type AlertMessage } from "./alerts/message";
import { describeAll, describeGroups, type Ec2For, type LiveState } from "./collect/ec2";
import {
  PLUGINS,
  cacheFromDescribe,
  groupArn,
  mapEvent,
  runPlugins,
  selectPlugins,
  type Finding,
  type Plugin,
} from "./engine";
import type { FindingsState, PendingAlert, StateEntry, StoredEntry } from "./state/store";

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

/** One alert published: a group's transition, for every plugin that made it in this evaluation. */
export interface AlertRecord {
  readonly plugins: string[];
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
  /** A first sweep of a region and account: its findings were recorded with no alert. */
  readonly silent?: boolean;
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
  if (isSweep(request)) {
    // The request union lets any object through as an event; a sweep must be a whole SweepRequest.
    try {
      validate(SweepRequest, request);
    } catch (e) {
      if (e instanceof SchemaError) throw new PermanentFailure("malformed", e.message, { cause: e });
      throw e;
    }
    return sweep(request.region, request.account ?? deps.homeAccount, deps);
  }
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

type Pending = { alert: PendingAlert; finding?: Finding };
/** Pending alerts per (group, transition, status), in first-seen order: one message each. */
function byGroupTransition(pending: readonly Pending[]): Pending[][] {
  const out = new Map<string, Pending[]>();
  for (const p of pending) {
    const k = `${p.alert.entry.resource}\u0000${p.alert.transition}\u0000${p.alert.entry.status}`;
    out.set(k, [...(out.get(k) ?? []), p]);
  }
  return [...out.values()];
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

  const pending: Pending[] = [];
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
  // A deleted group resolves whatever any plugin held against it: the sweep already holds the
  // region's entries; an event records REMOVED per (plugin, group), one keyed read each, never a scan.
  const gone: StateEntry[] = stored
    ? [...stored.values()].filter((e) => removed.includes(groupIdOf(e.resource) ?? ""))
    : removed.flatMap((id) =>
        Object.values(PLUGINS).map((p) => ({
          plugin: p.name,
          resource: groupArn(region, head.account, id),
          status: REMOVED,
          severity: p.severity,
          region,
          account,
        })),
      );
  const resolved = await pooled(gone, WRITES_AT_ONCE, (e) =>
    deps.state.record({ ...e, status: REMOVED }, now),
  );
  for (const alert of resolved) if (alert) pending.push({ alert });

  // The first sweep of a region and account (nothing stored) finds every existing exposure at once:
  // it records them without mailing each; later changes alert as usual.
  const silent = head.kind === "sweep" && stored?.size === 0;
  const alerts: AlertRecord[] = [];
  for (const batch of silent ? [] : byGroupTransition(pending)) {
    const first = batch[0].alert;
    const groupId = groupIdOf(first.entry.resource) ?? first.entry.resource;
    const g = groups.find((x) => x.groupId === groupId);
    const checks: AlertCheck[] = batch.map(({ alert, finding }) => {
      const evidence = finding?.evidence ?? {};
      return {
        plugin: alert.entry.plugin,
        title: finding?.title ?? PLUGINS[alert.entry.plugin]?.title ?? alert.entry.plugin,
        severity: alert.entry.severity,
        message: finding?.message ?? "the security group no longer exists",
        ports: findingPorts(alert.entry.plugin, evidence),
        evidence,
      };
    });
    const msg = alertMessage({
      checks,
      status: first.entry.status,
      before: first.before,
      transition: first.transition,
      region: first.entry.region,
      account: first.entry.account,
      resource: first.entry.resource,
      groupId,
      groupName: g?.groupName,
      vpcId: g?.vpcId,
      publicIps: g?.publicIps ?? [],
      privateIps: g?.privateIps ?? [],
      trigger: head.trigger,
    });
    await deps.publish(msg);
    alerts.push({
      plugins: checks.map((c) => c.plugin),
      resource: first.entry.resource,
      status: first.entry.status,
      transition: first.transition,
      subject: msg.subject,
    });
    for (const { alert } of batch) await deps.state.published(alert);
  }
  if (silent) await pooled(pending, WRITES_AT_ONCE, ({ alert }) => deps.state.published(alert));
  return {
    ...head,
    relevant: true,
    plugins: selected.map((p) => p.name),
    groups,
    removed,
    findings,
    alerts,
    ...(silent ? { silent } : {}),
    live: { SecurityGroups: live.groups, NetworkInterfaces: live.interfaces },
  };
}
