import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  AddressInfo,
  AddressInfoTable,
  ResolvedAddresses,
  ResolvedHosts,
  ScanPlan,
  dnsTableName,
} from "@sec-an/contracts";

export interface DnsTablesArgs {
  /** Physical name prefix (`${stage}-${app}`). */
  readonly prefix: string;
  readonly tags?: Record<string, string>;
}

/**
 * The scheduler's four tables (reference §5.1 keys), on demand, encrypted, with point-in-time
 * recovery. The three the views sync stream new and old images.
 */
export class DnsTables extends pulumi.ComponentResource {
  public readonly scanPlan: aws.dynamodb.Table;
  public readonly resolvedHosts: aws.dynamodb.Table;
  public readonly resolvedAddresses: aws.dynamodb.Table;
  public readonly addressInfo: aws.dynamodb.Table;

  constructor(name: string, args: DnsTablesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:task-execution:DnsTables", name, {}, opts);
    const common = {
      billingMode: "PAY_PER_REQUEST",
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
      tags: args.tags,
    };
    const stream = { streamEnabled: true, streamViewType: "NEW_AND_OLD_IMAGES" };
    const table = (logical: string, props: Partial<aws.dynamodb.TableArgs>) =>
      new aws.dynamodb.Table(
        `${name}-${logical}`,
        { name: dnsTableName(args.prefix, logical), ...common, ...props },
        { parent: this },
      );

    this.scanPlan = table(ScanPlan.table, {
      hashKey: ScanPlan.address,
      attributes: [
        { name: ScanPlan.address, type: "S" },
        { name: ScanPlan.plannedScanTime, type: "N" },
      ],
      globalSecondaryIndexes: [
        {
          name: ScanPlan.index,
          hashKey: ScanPlan.address,
          rangeKey: ScanPlan.plannedScanTime,
          projectionType: "INCLUDE",
          nonKeyAttributes: [ScanPlan.dnsIngestTime],
        },
      ],
    });
    this.resolvedHosts = table(ResolvedHosts.table, {
      hashKey: ResolvedHosts.host,
      rangeKey: ResolvedHosts.dnsIngestTime,
      attributes: [
        { name: ResolvedHosts.host, type: "S" },
        { name: ResolvedHosts.dnsIngestTime, type: "N" },
      ],
      ...stream,
    });
    this.resolvedAddresses = table(ResolvedAddresses.table, {
      hashKey: ResolvedAddresses.address,
      rangeKey: ResolvedAddresses.dnsIngestTime,
      attributes: [
        { name: ResolvedAddresses.address, type: "S" },
        { name: ResolvedAddresses.dnsIngestTime, type: "N" },
      ],
      ...stream,
    });
    this.addressInfo = table(AddressInfoTable, {
      hashKey: AddressInfo.address,
      attributes: [{ name: AddressInfo.address, type: "S" }],
      ...stream,
    });
    this.registerOutputs({});
  }
}
