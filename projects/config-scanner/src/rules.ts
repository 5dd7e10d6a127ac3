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
