import { ConfigAlertAttr, REMOVED, type AlertTransition, type StateStatus } from "@sec-an/contracts";
import { PORT_CHECKS } from "../engine";

/**
 * The alert for one transition, as a person reads it in a mail: a subject naming the group and what
 * changed, a text naming the group, the ports and rule evidence, the addresses exposed and how to fix
 * it; and the message attributes subscribers filter on.
 */

/** The group and what the evaluation knew about it, for the message. */
export interface AlertSubject {
  readonly plugin: string;
  readonly title: string;
  readonly status: StateStatus;
  readonly before: StateStatus | undefined;
  readonly transition: AlertTransition;
  readonly severity: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
  readonly groupId: string;
  readonly groupName?: string;
  readonly vpcId?: string;
  readonly message: string;
  readonly ports: readonly number[];
  readonly evidence: Record<string, unknown>;
  readonly publicIps: readonly string[];
  readonly privateIps: readonly string[];
  readonly trigger: string;
}

export interface AlertMessage {
  readonly subject: string;
  readonly text: string;
  readonly attributes: Record<string, string>;
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

/**
 * The ports a finding is about: those the plugin checks (from the engine's port table), else the
 * narrow port ranges of the offending permissions in its evidence.
 */
export function findingPorts(plugin: string, evidence: Record<string, unknown>): number[] {
  const check = PORT_CHECKS.find((c) => c.name === plugin);
  const out = new Set<number>(check ? [...(check.tcp ?? []), ...(check.udp ?? [])] : []);
  if (!check && Array.isArray(evidence.permissions))
    for (const p of evidence.permissions as { FromPort?: unknown; ToPort?: unknown }[]) {
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
  const ports = a.ports.length ? ` on port ${a.ports.join(", ")}` : "";
  return [
    "How to fix:",
    `  Remove the rule that lets 0.0.0.0/0 or ::/0 in${ports}, or narrow it to the addresses that need it`,
    "  (a VPN, a bastion's security group, or a load balancer in front). The rule, by its id:",
    `    aws ec2 describe-security-group-rules --region ${a.region} --filters Name=group-id,Values=${a.groupId}`,
    `    aws ec2 revoke-security-group-ingress --region ${a.region} --group-id ${a.groupId} --security-group-rule-ids <rule id>`,
  ];
}

export function alertMessage(a: AlertSubject): AlertMessage {
  const where = `${a.account}/${a.region}`;
  const subject = subjectSafe(
    a.transition === "resolved" && a.status === REMOVED
      ? `[sec-an] RESOLVED ${a.plugin}: ${group(a)} deleted (${where})`
      : `[sec-an] ${VERB[a.transition]} ${a.plugin}: ${group(a)} ${a.transition === "opened" ? a.title : `now ${a.status}`} (${where})`,
  );
  const lines = [
    `${a.title} (${a.plugin}, severity ${a.severity})`,
    `Status: ${a.before ?? "new"} -> ${a.status}`,
    "",
    `Security group: ${group(a)}${a.vpcId ? ` in ${a.vpcId}` : ""}`,
    `Account: ${a.account}   Region: ${a.region}`,
    `Resource: ${a.resource}`,
    ...(a.ports.length ? [`Port(s): ${a.ports.join(", ")}`] : []),
    `Finding: ${a.message}`,
    ...(Object.keys(a.evidence).length ? [`Rule evidence: ${JSON.stringify(a.evidence)}`] : []),
    `Attached addresses: ${a.publicIps.length ? `public ${a.publicIps.join(", ")}` : "no public address"}${
      a.privateIps.length ? `; private ${a.privateIps.join(", ")}` : ""
    }`,
    `Triggered by: ${a.trigger}`,
    "",
    ...fix(a),
  ];
  return {
    subject,
    text: lines.join("\n").trimEnd() + "\n",
    attributes: {
      [ConfigAlertAttr.plugin]: a.plugin,
      [ConfigAlertAttr.status]: a.status,
      [ConfigAlertAttr.severity]: a.severity || "unknown",
      [ConfigAlertAttr.account]: a.account || "unknown",
      [ConfigAlertAttr.region]: a.region,
      [ConfigAlertAttr.transition]: a.transition,
    },
  };
}
