import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  ResolvedAddresses,
  ResolvedHosts,
  dnsTableName,
  resourcePrefix,
  scanInitiatorTopicName,
  type Deployment,
} from "@sec-an/contracts";
import { LambdaFunction } from "@sec-an/components";
import { ScansEnv } from "./logic";

export interface ScansFunctionArgs {
  deployment: Deployment;
  /** CIDRs (or addresses) that may be scanned even when the DNS tables do not hold them. */
  allowList: readonly string[];
  /** Scanners a request may name (all of them by default). */
  scanners: readonly string[];
  tags: Record<string, string>;
}

/**
 * The `POST /scans` function. The tables and the topic it uses belong to task-execution, which deploys
 * after this stack and reads this stack's parameters: reading its parameters back here would make the
 * two depend on each other, so their names come from the deployment's physical-name convention, in the
 * function's environment and its grants alike.
 */
export function scansFunction(name: string, args: ScansFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
  const d = args.deployment;
  const prefix = resourcePrefix(d);
  const partition = aws.getPartitionOutput({}, opts).partition;
  const region = aws.getRegionOutput({}, opts).region;
  const account = aws.getCallerIdentityOutput({}, opts).accountId;
  const tableName = (logical: string) => dnsTableName(prefix, logical);
  const table = (logical: string) =>
    pulumi.interpolate`arn:${partition}:dynamodb:${region}:${account}:table/${tableName(logical)}`;
  const topicArn = pulumi.interpolate`arn:${partition}:sns:${region}:${account}:${scanInitiatorTopicName(prefix)}`;
  return new LambdaFunction(
    name,
    {
      entry: path.join(__dirname, "handler.ts"),
      functionName: name,
      description: "POST /scans: validate, check ownership, publish to the scan-initiator topic",
      timeout: 15,
      deployment: d,
      environment: {
        [ScansEnv.allowList]: args.allowList.join(","),
        [ScansEnv.scanners]: args.scanners.join(","),
        [ScansEnv.addressesTable]: tableName(ResolvedAddresses.table),
        [ScansEnv.hostsTable]: tableName(ResolvedHosts.table),
        [ScansEnv.topicArn]: topicArn,
      },
      statements: [
        {
          Sid: "LookUpOwnership",
          Action: "dynamodb:Query",
          Resource: [table(ResolvedAddresses.table), table(ResolvedHosts.table)],
        },
        { Sid: "PublishScanRequests", Action: "sns:Publish", Resource: topicArn },
      ],
      tags: args.tags,
    },
    opts,
  );
}
