import { UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  AddressInfo,
  ResolvedAddresses,
  ResolvedHosts,
  ScanPlan,
  isPlannableAddress,
  type PlanningPolicy,
} from "@sec-an/contracts";
import type { Planner } from "../plan/planner";
import { mapLimit, type SchedulerTables } from "../util";
import type { HostToScan } from "./records";

export interface WriteStats {
  readonly addresses: number;
  readonly hosts: number;
}

/**
 * Gathers host↔address pairs during an ingest, then writes the four tables (reference §5.1):
 * per address the scan plan, its resolution and its info row; per host its resolution. UpdateItem only
 * (no transactions): each row is independently correct, and a re-run converges.
 *
 * Only globally reachable addresses are planned: a record pointing at a loopback, private, link-local,
 * multicast or other special-purpose address would make a cloud scanner probe its own network (or
 * nothing), never the host the record names. Loopback is planned only when the policy says so (the
 * local run, whose targets are services on 127.0.0.1).
 */
export class ScanPlanWriter {
  private readonly hostsByAddress = new Map<string, Set<string>>();
  private readonly addressesByHost = new Map<string, Set<string>>();
  private readonly skippedAddresses = new Set<string>();

  constructor(private readonly policy: PlanningPolicy = {}) {}

  /** Add one pair; false (and nothing recorded) when the address must not be planned. */
  add({ host, address }: HostToScan): boolean {
    const a = address.toLowerCase();
    if (!isPlannableAddress(a, this.policy)) {
      this.skippedAddresses.add(a);
      return false;
    }
    if (!this.hostsByAddress.has(a)) this.hostsByAddress.set(a, new Set());
    this.hostsByAddress.get(a)!.add(host);
    if (!this.addressesByHost.has(host)) this.addressesByHost.set(host, new Set());
    this.addressesByHost.get(host)!.add(a);
    return true;
  }

  get addressCount(): number {
    return this.hostsByAddress.size;
  }

  /** Distinct addresses refused as special-purpose (not planned, not recorded). */
  get skipped(): readonly string[] {
    return [...this.skippedAddresses].sort();
  }

  async commit(
    doc: DynamoDBDocumentClient,
    tables: SchedulerTables,
    planner: Planner,
    dnsIngestTime: number,
    concurrency = 16,
  ): Promise<WriteStats> {
    // Sorted so successive (often adjacent) addresses land in different buckets.
    const addresses = [...this.hostsByAddress.keys()].sort();
    const planned = addresses.map((address) => ({ address, time: planner.nextTime() }));
    await mapLimit(planned, concurrency, async ({ address, time }) => {
      await doc.send(
        new UpdateCommand({
          TableName: tables.scanPlan,
          Key: { [ScanPlan.address]: address },
          UpdateExpression: "SET #p = :p, #d = :d",
          ExpressionAttributeNames: { "#p": ScanPlan.plannedScanTime, "#d": ScanPlan.dnsIngestTime },
          ExpressionAttributeValues: { ":p": time, ":d": dnsIngestTime },
        }),
      );
      await doc.send(
        new UpdateCommand({
          TableName: tables.resolvedAddresses,
          Key: { [ResolvedAddresses.address]: address, [ResolvedAddresses.dnsIngestTime]: dnsIngestTime },
          UpdateExpression: "SET #h = :h",
          ExpressionAttributeNames: { "#h": ResolvedAddresses.hosts },
          ExpressionAttributeValues: { ":h": new Set(this.hostsByAddress.get(address)) },
        }),
      );
      await doc.send(
        new UpdateCommand({
          TableName: tables.addressInfo,
          Key: { [AddressInfo.address]: address },
          UpdateExpression: "SET #l = :l, #n = :n",
          ExpressionAttributeNames: {
            "#l": AddressInfo.lastDnsIngestTime,
            "#n": AddressInfo.nextPlannedScanTime,
          },
          ExpressionAttributeValues: { ":l": dnsIngestTime, ":n": time },
        }),
      );
    });
    const hosts = [...this.addressesByHost.keys()].sort();
    await mapLimit(hosts, concurrency, (host) =>
      doc.send(
        new UpdateCommand({
          TableName: tables.resolvedHosts,
          Key: { [ResolvedHosts.host]: host, [ResolvedHosts.dnsIngestTime]: dnsIngestTime },
          UpdateExpression: "SET #a = :a",
          ExpressionAttributeNames: { "#a": ResolvedHosts.addresses },
          ExpressionAttributeValues: { ":a": new Set(this.addressesByHost.get(host)) },
        }),
      ),
    );
    return { addresses: addresses.length, hosts: hosts.length };
  }
}
