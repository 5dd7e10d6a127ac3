import type { SweepRequest } from "@sec-an/contracts";
import { realtimeTriggers } from "./engine";

/**
 * The EventBridge side of the config-scanner, as plain data: event patterns generated from the
 * plugins' realtime triggers (never a hand-kept list), the central bus policy for member accounts,
 * and the sweep requests of the schedule.
 */

export const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";

/** `aws.ec2` → `ec2.amazonaws.com`: the CloudTrail event source of a service's API calls. */
const eventSourceOf = (source: string) => `${source.replace(/^aws\./, "")}.amazonaws.com`;

/** One event pattern per service the plugins' triggers name. */
export function eventPatterns(): { source: string; pattern: Record<string, unknown> }[] {
  return realtimeTriggers().map((t) => ({
    source: t.source,
    pattern: {
      source: [t.source],
      "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
      detail: { eventSource: [eventSourceOf(t.source)], eventName: [...t.eventNames].sort() },
    },
  }));
}

/**
 * The central default bus's policy: each member account may put events on it (its forwarding rule's
 * role does), nothing more.
 */
export function busPolicyDocument(busArn: string, memberAccounts: readonly string[]): string {
  const accounts = [...new Set(memberAccounts)].sort();
  if (accounts.length === 0) throw new Error("a bus policy needs at least one member account");
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "MemberAccountsPutEvents",
        Effect: "Allow",
        Principal: { AWS: accounts },
        Action: "events:PutEvents",
        Resource: busArn,
      },
    ],
  });
}

/**
 * What the daily sweep asks for: every configured region of the home account, and of each member
 * account whose role the handler may assume.
 */
export function sweepRequests(regions: readonly string[], members: readonly string[]): SweepRequest[] {
  return [...new Set(regions)].flatMap((region) => [
    { sweep: true as const, region },
    ...members.map((account) => ({ sweep: true as const, region, account })),
  ]);
}

/** EventBridge allows at most five targets per rule. */
export const TARGETS_PER_RULE = 5;
export const chunk = <T>(xs: readonly T[], n = TARGETS_PER_RULE): T[][] =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

export const ALARM_STATE_CHANGE = "CloudWatch Alarm State Change";

/** The ARN of a CloudWatch alarm: what its state-change events carry in `resources`. */
export const alarmArn = (partition: string, region: string, account: string, alarmName: string) =>
  `arn:${partition}:cloudwatch:${region}:${account}:alarm:${alarmName}`;

/**
 * The state-change events of exactly these alarms, when they go to ALARM (the transition an alarm
 * action is told of; OK and INSUFFICIENT_DATA notify nobody elsewhere either).
 */
export function alarmStatePattern(alarmArns: readonly string[]): Record<string, unknown> {
  const arns = [...new Set(alarmArns)].sort();
  if (arns.length === 0) throw new Error("an alarm pattern needs at least one alarm ARN");
  return {
    source: ["aws.cloudwatch"],
    "detail-type": [ALARM_STATE_CHANGE],
    resources: arns,
    detail: { state: { value: ["ALARM"] } },
  };
}
