import {
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { GetParameterCommand, ParameterNotFound, SSMClient } from "@aws-sdk/client-ssm";
import { Env, Params, SchedulerEnv, paramName, type ParamDef } from "@sec-an/contracts";
import { resetClients, setClients, setParamOverrides } from "@sec-an/runtime";
import { awsClientConfig, uniqueName } from "@sec-an/testing";
import { mockClient } from "aws-sdk-client-mock";
import { handler as ingestHandler } from "../src/handlers/ingest-dns";
import { handler as initiatorHandler } from "../src/handlers/scan-initiator";
import { targetsPerTaskFromSsm } from "../src/handlers/settings";
import type { SchedulerTables } from "../src/util";
import { createTables, dropTables, dynamo, startDnsServer } from "./helpers";

const deployment = { app: "sec-an", stage: "handlertest" };
const full = (d: ParamDef) => paramName(deployment, d);
const r53 = mockClient(Route53Client);
const { client, doc } = dynamo();
const sqs = new SQSClient(awsClientConfig());
// Parameters are overrides; one that is not (nmap's, before nmap is deployed) is missing from SSM.
const ssm = new SSMClient({ region: "us-east-1", credentials: { accessKeyId: "t", secretAccessKey: "t" } });
mockClient(ssm)
  .on(GetParameterCommand)
  .rejects(new ParameterNotFound({ message: "not found", $metadata: {} }));
let tables: SchedulerTables;
let queueUrl: string;
let dns: Awaited<ReturnType<typeof startDnsServer>>;

function params(overrides: Partial<Record<string, string>> = {}) {
  setParamOverrides({
    [full(Params.scansPlannedTableId)]: tables.scanPlan,
    [full(Params.resolvedHostsTableId)]: tables.resolvedHosts,
    [full(Params.resolvedAddressesTableId)]: tables.resolvedAddresses,
    [full(Params.addressInfoTableId)]: tables.addressInfo,
    [full(Params.route53RoleArn)]: "arn:aws:iam::111111111111:role/route53-read",
    [full(Params.schedulerPeriod)]: "86400",
    [full(Params.schedulerBuckets)]: "96",
    [full(Params.schedulerRateLimit)]: "5",
    [full(Params.schedulerLogUnhandled)]: "false",
    [full(Params.scanDelayQueueUrl)]: queueUrl,
    ...(overrides as Record<string, string>),
  });
}

beforeAll(async () => {
  process.env[Env.stage] = deployment.stage;
  dns = await startDnsServer({ "target.partner.test": { A: ["127.0.0.20", "10.0.0.20"] } });
  process.env[SchedulerEnv.dnsServers] = dns.server;
  setClients({ dynamo: client, sqs, ssm });
});
afterAll(async () => {
  delete process.env[Env.stage];
  delete process.env[SchedulerEnv.dnsServers];
  setParamOverrides(undefined);
  resetClients();
  await dns.close();
  client.destroy();
  sqs.destroy();
});
beforeEach(async () => {
  r53.reset();
  tables = await createTables(client);
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("delay") }))).QueueUrl!;
  params();
});
afterEach(async () => {
  await dropTables(client, tables);
  await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
});

describe("scheduler handlers, wired through SSM names", () => {
  it("the deployed ingest plans no special-purpose address; a planned address ends up as a scan request", async () => {
    r53.on(ListHostedZonesCommand).resolves({
      HostedZones: [{ Id: "/hostedzone/Z9", Name: "example.org.", CallerReference: "x" }],
      IsTruncated: false,
      Marker: "",
      MaxItems: 100,
    });
    r53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        {
          Name: "app.example.org.",
          Type: "CNAME",
          TTL: 60,
          ResourceRecords: [{ Value: "target.partner.test." }],
        },
      ],
      IsTruncated: false,
      MaxItems: 300,
    });
    const stats = await ingestHandler();
    // Loopback and private addresses in DNS: the cloud ingest never plans them.
    expect(stats).toMatchObject({ zones: 1, addresses: 0, hosts: 0, specialPurposeAddresses: 2 });
    expect((await doc.send(new ScanCommand({ TableName: tables.scanPlan }))).Items).toEqual([]);

    // The initiator half, from a plan row as the local run writes one (loopback allowed there).
    await doc.send(
      new PutCommand({
        TableName: tables.scanPlan,
        Item: { Address: "127.0.0.20", PlannedScanTime: 1, DnsIngestTime: 1 },
      }),
    );
    const [row] = (await doc.send(new ScanCommand({ TableName: tables.scanPlan }))).Items!;

    // Nothing is due yet unless the plan landed in the first bucket: make it due now.
    await doc.send(
      new UpdateCommand({
        TableName: tables.scanPlan,
        Key: { Address: row.Address },
        UpdateExpression: "SET PlannedScanTime = :t",
        ExpressionAttributeValues: { ":t": Math.floor(Date.now() / 1000) - 1 },
      }),
    );
    expect(await initiatorHandler()).toMatchObject({ due: 1, queued: 1, failed: 0 });
    const msgs = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    expect(JSON.parse(msgs.Messages![0].Body!)).toMatchObject({
      target: "127.0.0.20",
      targetType: "ipv4",
      lineage: { depth: 0 },
    });
  });

  it("reads nmap's targetsPerTask late: 1 until nmap publishes it, the value after, a bad one named", async () => {
    expect(await targetsPerTaskFromSsm()).toBe(1);
    params({ [full(Params.nmapTargetsPerTask)]: "8" });
    expect(await targetsPerTaskFromSsm()).toBe(8);
    params({ [full(Params.nmapTargetsPerTask)]: "17" });
    await expect(targetsPerTaskFromSsm()).rejects.toThrow(
      `${full(Params.nmapTargetsPerTask)}: expected a whole number 1..16, got "17"`,
    );
    await expect(ingestHandler()).rejects.toThrow(full(Params.nmapTargetsPerTask));
    expect(r53.calls()).toHaveLength(0);
  });

  it("fails the ingest naming the SSM parameter when a setting is invalid", async () => {
    params({ [full(Params.schedulerBuckets)]: "ninety-six" });
    await expect(ingestHandler()).rejects.toThrow(
      `${full(Params.schedulerBuckets)}: expected a positive whole number`,
    );
    expect(r53.calls()).toHaveLength(0);
  });

  it("fails the initiator run when the queue refuses entries, keeping the plans", async () => {
    await doc.send(
      new PutCommand({
        TableName: tables.scanPlan,
        Item: { Address: "127.0.0.77", PlannedScanTime: 1, DnsIngestTime: 1 },
      }),
    );
    params({ [full(Params.scanDelayQueueUrl)]: `${queueUrl}-missing` });
    await expect(initiatorHandler()).rejects.toThrow(
      /scan initiation incomplete: 1 of 1 due scans could not be queued/,
    );
    expect((await doc.send(new ScanCommand({ TableName: tables.scanPlan }))).Items).toHaveLength(1);
  });
});
