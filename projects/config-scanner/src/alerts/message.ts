import { ConfigAlertAttr, REMOVED, type AlertTransition, type StateStatus } from "@sec-an/contracts";
import { PORT_CHECKS } from "../engine";

/**
 * The alert for one transition, as a person reads it in a mail: a subject naming the group and what
 * changed, a text naming the group, the ports and rule evidence, the addresses exposed and how to fix
 * it; and the message attributes subscribers filter on.
 */

/** One plugin's part of an alert: what it found on the group. */
export interface AlertCheck {
  readonly plugin: string;
  readonly title: string;
  readonly severity: string;
  readonly message: string;
  readonly ports: readonly number[];
  readonly evidence: Record<string, unknown>;
}

/**
 * The group and what the evaluation knew about it, for the message: every plugin whose status made the
 * same transition on it in one evaluation, so one rule open to the world is one mail, not one per port.
 */
export interface AlertSubject {
  readonly checks: readonly AlertCheck[];
  readonly status: StateStatus;
  readonly before: StateStatus | undefined;
  readonly transition: AlertTransition;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
  readonly groupId: string;
  readonly groupName?: string;
  readonly vpcId?: string;
  readonly publicIps: readonly string[];
  readonly privateIps: readonly string[];
  readonly trigger: string;
}

export interface AlertMessage {
  readonly subject: string;
  readonly text: string;
  /** Filterable attributes; a list is published as an SNS `String.Array`. */
  readonly attributes: Record<string, string | string[]>;
}

const SEVERITY_RANK = ["critical", "high", "medium", "low"];
/** The highest of the severities (unknown ones rank lowest). */
export function highestSeverity(severities: readonly string[]): string {
  const rank = (s: string) => (SEVERITY_RANK.includes(s) ? SEVERITY_RANK.indexOf(s) : SEVERITY_RANK.length);
  return [...severities].sort((a, b) => rank(a) - rank(b))[0] ?? "";
}

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
const SUBJECT_MAX = 100;
const subjectSafe = (s: string) => {
  const ascii = s.replace(/[^\x20-\x7e]/g, "?");
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
};

const VERB: Record<AlertTransition, string> = { opened: "FAIL", resolved: "RESOLVED", changed: "CHANGED" };

/** Port ranges wider than this are "every port" to a reader, not a list. */
const LISTED_RANGE = 64;

type PermissionEvidence = { IpProtocol?: unknown; FromPort?: unknown; ToPort?: unknown };
const PROTOCOL_NUMBER: Record<string, string> = { tcp: "6", udp: "17" };

/** Whether an offending permission lets `port` of `protocol` in: `-1` is every protocol and port. */
function covers(p: PermissionEvidence, protocol: "tcp" | "udp", port: number): boolean {
  const proto = String(p.IpProtocol ?? "").toLowerCase();
  if (proto === "-1" || proto === "all") return true;
  if (proto !== protocol && proto !== PROTOCOL_NUMBER[protocol]) return false;
  const from = typeof p.FromPort === "number" && p.FromPort >= 0 ? p.FromPort : 0;
  const to = typeof p.ToPort === "number" && p.ToPort >= 0 ? p.ToPort : 65535;
  return from <= port && port <= to;
}

/**
 * The ports a finding is about. A port plugin's ports that its offending permissions actually open
 * (27017 open is not 27017-27019), or all its ports when the finding carries no permissions (an OK);
 * any other plugin's narrow port ranges of the offending permissions.
 */
export function findingPorts(plugin: string, evidence: Record<string, unknown>): number[] {
  const check = PORT_CHECKS.find((c) => c.name === plugin);
  const perms = Array.isArray(evidence.permissions)
    ? (evidence.permissions as PermissionEvidence[])
    : undefined;
  const out = new Set<number>();
  if (check) {
    for (const protocol of ["tcp", "udp"] as const)
      for (const port of check[protocol] ?? [])
        if (!perms || perms.some((p) => covers(p, protocol, port))) out.add(port);
  } else
    for (const p of perms ?? []) {
      const from = p.FromPort;
      const to = p.ToPort ?? from;
      if (typeof from !== "number" || typeof to !== "number" || from < 0 || to - from >= LISTED_RANGE)
        continue;
      for (let port = from; port <= to; port++) out.add(port);
    }
  return [...out].sort((a, b) => a - b);
}

const group = (a: AlertSubject) => `${a.groupId}${a.groupName ? ` (${a.groupName})` : ""}`;

function fix(a: AlertSubject): string[] {
  if (a.transition !== "opened") return [];
  const all = [...new Set(a.checks.flatMap((c) => c.ports))].sort((x, y) => x - y);
  const ports = all.length ? ` on port ${all.join(", ")}` : "";
  return [
    "How to fix:",
    `  Remove the rule that lets 0.0.0.0/0 or ::/0 in${ports}, or narrow it to the addresses that need it`,
    "  (a VPN, a bastion's security group, or a load balancer in front). The rule, by its id:",
    `    aws ec2 describe-security-group-rules --region ${a.region} --filters Name=group-id,Values=${a.groupId}`,
    `    aws ec2 revoke-security-group-ingress --region ${a.region} --group-id ${a.groupId} --security-group-rule-ids <rule id>`,
  ];
}

const checkLines = (c: AlertCheck): string[] => [
  `${c.title} (${c.plugin}, severity ${c.severity})`,
  ...(c.ports.length ? [`  Port(s): ${c.ports.join(", ")}`] : []),
  `  Finding: ${c.message}`,
  ...(Object.keys(c.evidence).length ? [`  Rule evidence: ${JSON.stringify(c.evidence)}`] : []),
];

export function alertMessage(a: AlertSubject): AlertMessage {
  const where = `${a.account}/${a.region}`;
  const plugins = a.checks.map((c) => c.plugin);
  // Subjects are short: a long list of names would push the group out of them.
  const names = plugins.length <= 2 ? plugins.join(", ") : `${plugins[0]} +${plugins.length - 1} more`;
  const what = a.checks.length === 1 ? a.checks[0].title : `${a.checks.length} checks`;
  const subject = subjectSafe(
    a.transition === "resolved" && a.status === REMOVED
      ? `[sec-an] RESOLVED ${names}: ${group(a)} deleted (${where})`
      : `[sec-an] ${VERB[a.transition]} ${names}: ${group(a)} ${a.transition === "opened" ? what : `now ${a.status}`} (${where})`,
  );
  const severity = highestSeverity(a.checks.map((c) => c.severity));
  const lines = [
    `Status: ${a.before ?? "new"} -> ${a.status}   Severity: ${severity || "unknown"}`,
    "",
    `Security group: ${group(a)}${a.vpcId ? ` in ${a.vpcId}` : ""}`,
    `Account: ${a.account}   Region: ${a.region}`,
    `Resource: ${a.resource}`,
    `Attached addresses: ${a.publicIps.length ? `public ${a.publicIps.join(", ")}` : "no public address"}${
      a.privateIps.length ? `; private ${a.privateIps.join(", ")}` : ""
    }`,
    `Triggered by: ${a.trigger}`,
    "",
    ...a.checks.flatMap(checkLines),
    "",
    ...fix(a),
  ];
  return {
    subject,
    text: lines.join("\n").trimEnd() + "\n",
    attributes: {
      [ConfigAlertAttr.plugin]: plugins,
      [ConfigAlertAttr.status]: a.status,
      [ConfigAlertAttr.severity]: severity || "unknown",
      [ConfigAlertAttr.account]: a.account || "unknown",
      [ConfigAlertAttr.region]: a.region,
      [ConfigAlertAttr.transition]: a.transition,
    },
  };
}
