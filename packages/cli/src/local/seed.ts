import { PublishBatchCommand } from "@aws-sdk/client-sns";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Params, paramName, type PortDetected } from "@sec-an/contracts";
import type * as AnalyticsPlatform from "@sec-an/project-analytics-platform";
import { projectIndex } from "../tasks";
import type { ProgramInvocation } from "./shipped-topology";
import type { DemoServices } from "./demo-services";
import type { LocalInvoker } from "./invoker";
import type { LocalClients, Translation } from "./provision";
import type { SqliteStore } from "./sqlite-store";
import type { LocalTopology } from "./topology";

const DEPLOYMENT = { app: "sec-an", stage: "local" };

/** Point the analytics handlers (ingestor, reporter, admin) at the local store instead of OpenSearch. */
export async function installStore(store: SqliteStore): Promise<void> {
  (await projectIndex<typeof AnalyticsPlatform>("analytics-platform")).setStoreOverride(store);
}

/**
 * Replay the programs' `aws.lambda.Invocation`s (ElasticIndex, KibanaSavedObject) against the local
 * admin function: the same specs `pulumi up` would apply create the indices and saved objects locally.
 */
export async function replayInvocations(
  invocations: readonly ProgramInvocation[],
  invoker: LocalInvoker,
  log: (l: string) => void,
): Promise<number> {
  for (const i of invocations) {
    const res = await invoker.invoke(i.functionName, JSON.parse(i.input));
    if (!res.ok) throw new Error(`${i.project}: ${i.name}: ${res.error?.message}`);
  }
  log(`applied ${invocations.length} index and saved-object specs to the local store`);
  return invocations.length;
}

export interface SeedArgs {
  topology: LocalTopology;
  translation: Translation;
  invoker: LocalInvoker;
  clients: LocalClients;
  targets: string[];
  demo?: DemoServices;
  scanners: string[];
  log: (l: string) => void;
}

const param = (t: Translation, topo: LocalTopology, def: { path: string }) => {
  const v = topo.parameters[paramName(DEPLOYMENT, def as any)];
  if (v === undefined) throw new Error(`the local topology publishes no ${def.path}`);
  return t.apply(v);
};

/**
 * Start the pipeline the way production does: plan the targets with the real planner and plan writer
 * (the DNS ingestor's output; there is no Route53 locally), then run the real scan initiator, which
 * queues due scans on the delay queue. Without nmap, port-detected events for the demo services are
 * published on the ports topic directly, so the ssl scanner still runs.
 */
export async function seedScans(a: SeedArgs): Promise<number> {
  const { Planner, ScanPlanWriter }: any = await projectIndex("task-execution");
  const tables = {
    scanPlan: param(a.translation, a.topology, Params.scansPlannedTableId),
    resolvedHosts: param(a.translation, a.topology, Params.resolvedHostsTableId),
    resolvedAddresses: param(a.translation, a.topology, Params.resolvedAddressesTableId),
    addressInfo: param(a.translation, a.topology, Params.addressInfoTableId),
  };
  const now = Math.floor(Date.now() / 1000);
  // Locally the targets are loopback services (checked by the CLI): the writer plans loopback only when told.
  const writer = new ScanPlanWriter({ allowLoopback: true });
  const refused = a.targets.filter(
    (t) => writer.add({ host: a.demo && t === a.demo.host ? "localhost" : t, address: t }) === false,
  );
  if (refused.length)
    a.log(`not planned (the plan writer plans no special-purpose address): ${refused.join(", ")}`);
  // A one-second period starting now: every target is due at once (no delay on the delay queue)
  // instead of spread over a day.
  await writer.commit(
    DynamoDBDocumentClient.from(a.clients.dynamo),
    tables,
    new Planner({ start: now, period: 1, buckets: 1 }),
    now,
  );
  a.log(`planned ${a.targets.length - refused.length} target(s)`);

  if (a.scanners.includes("nmap")) {
    const initiator = a.topology.functions.find((f) => f.entry?.includes("scan-initiator"));
    if (!initiator) throw new Error("the local topology has no scan-initiator function");
    const r = await a.invoker.invoke(initiator.name, {
      source: "aws.events",
      "detail-type": "Scheduled Event",
      time: new Date().toISOString(),
    });
    if (!r.ok) throw new Error(`scan initiator failed: ${r.error?.message}`);
    return Number((r.result as { queued?: number })?.queued ?? a.targets.length);
  }
  if (!a.demo) {
    a.log("without nmap, only the demo services can be fed to the ssl scanner");
    return 0;
  }
  const topicArn = param(a.translation, a.topology, Params.portsTopicArn);
  const event: PortDetected = {
    kind: "port-detected",
    address: a.demo.host,
    addressType: "ipv4",
    port: a.demo.tlsPort,
    protocol: "tcp",
    service: "https",
    tunnel: "ssl",
    hostnames: ["localhost"],
    detectedAt: new Date().toISOString(),
    lineage: {
      rootScanId: `local-${now}`,
      parentScanId: `local-${now}`,
      rule: "local:no-nmap",
      rawKey: "local/none",
      depth: 1,
    },
  };
  const { portEventAttributes }: any = await projectIndex("nmap");
  await a.clients.sns.send(
    new PublishBatchCommand({
      TopicArn: topicArn,
      PublishBatchRequestEntries: [
        { Id: "0", Message: JSON.stringify(event), MessageAttributes: portEventAttributes(event) },
      ],
    }),
  );
  return 1;
}
