import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Params, ResolvedAddresses, ResolvedHosts, resourcePrefix, type Deployment } from "@sec-an/contracts";
import { LambdaFunction, ssmReadStatement } from "@sec-an/components";
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
 * after this stack: its grants name them by the deployment's physical-name convention, and it reads
 * their names from SSM at run time.
 */
export function scansFunction(name: string, args: ScansFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
  const d = args.deployment;
  const prefix = resourcePrefix(d);
  const partition = aws.getPartitionOutput({}, opts).partition;
  const region = aws.getRegionOutput({}, opts).region;
  const account = aws.getCallerIdentityOutput({}, opts).accountId;
  const table = (logical: string) =>
    pulumi.interpolate`arn:${partition}:dynamodb:${region}:${account}:table/${prefix}-${logical}`;
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
      },
      statements: [
        {
          Sid: "LookUpOwnership",
          Action: "dynamodb:Query",
          Resource: [table(ResolvedAddresses.table), table(ResolvedHosts.table)],
        },
        {
          Sid: "PublishScanRequests",
          Action: "sns:Publish",
          // Named by task-execution as `${prefix}-scan-initiator`.
          Resource: pulumi.interpolate`arn:${partition}:sns:${region}:${account}:${prefix}-scan-initiator`,
        },
        ssmReadStatement(
          d,
          [Params.resolvedAddressesTableId, Params.resolvedHostsTableId, Params.scanInitiatorTopicArn],
          opts,
        ),
      ],
      tags: args.tags,
    },
    opts,
  );
}
