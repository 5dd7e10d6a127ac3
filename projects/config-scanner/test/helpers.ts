import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type NetworkInterface,
  type SecurityGroup,
} from "@aws-sdk/client-ec2";
import type { S3Client } from "@aws-sdk/client-s3";
import { SQSClient, type Message } from "@aws-sdk/client-sqs";
import { ConfigStateTableKeys } from "@sec-an/contracts";
import {
  createTestBucket,
  createTestQueue,
  drainQueue,
  emulatorClients,
  topicWithQueue,
  uniqueName,
  type EmulatorClients,
} from "@sec-an/testing";
import type { SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";

export { emulatorClients };
export type Clients = EmulatorClients;

// Tests read a message once and never delete it: a 12-hour visibility keeps it from coming back
// into a later case's drain.
const READ_ONCE = { VisibilityTimeout: "43200" };

export const createQueue = (sqs: SQSClient, prefix = "q") => createTestQueue(sqs, prefix, READ_ONCE);

/** The state table as the program defines it: (plugin, resource). */
export async function createStateTable(dynamo: DynamoDBClient): Promise<string> {
  const TableName = uniqueName("config-state");
  await dynamo.send(
    new CreateTableCommand({
      TableName,
      BillingMode: "PAY_PER_REQUEST",
      ...ConfigStateTableKeys,
    }),
  );
  return TableName;
}

export const createBucket = (s3: S3Client) => createTestBucket(s3, "cfg");

/** The alerts topic with a raw-delivery queue, so a test reads each alert with its attributes. */
export const alertsTopic = (c: Clients) =>
  topicWithQueue(c, { raw: false, topicPrefix: "alerts", queuePrefix: "alerts", queueAttributes: READ_ONCE });

/** Receive until `count` messages arrived or `maxPolls` empty polls passed (bounded in time). */
export const drain = (sqs: SQSClient, url: string, count: number, maxPolls = 2): Promise<Message[]> =>
  drainQueue(sqs, url, { count, maxEmptyPolls: maxPolls });

let seq = 0;
/** The SQS record Lambda would deliver for a message body (EventBridge → SQS puts the event as the body). */
export function sqsRecord(body: unknown, receiveCount = 1): SQSRecord {
  seq += 1;
  return {
    messageId: `m-${process.pid}-${seq}`,
    receiptHandle: "rh",
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: "AIDATEST",
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:dev-sec-an-config-scanner-tasks",
    awsRegion: "us-east-1",
  };
}

/** A group with the given ingress from anywhere (IPv4), as DescribeSecurityGroups returns it. */
export function group(id: string, openPorts: number[] = [], name = `web-${id.slice(-4)}`): SecurityGroup {
  return {
    GroupId: id,
    GroupName: name,
    OwnerId: "123456789012",
    VpcId: "vpc-0abc",
    Description: "test",
    IpPermissions: openPorts.map((p) => ({
      IpProtocol: "tcp",
      FromPort: p,
      ToPort: p,
      IpRanges: [{ CidrIp: "0.0.0.0/0" }],
      Ipv6Ranges: [],
      PrefixListIds: [],
      UserIdGroupPairs: [],
    })),
    IpPermissionsEgress: [],
  };
}

export function eni(groupId: string, publicIp: string, privateIp: string): NetworkInterface {
  return {
    NetworkInterfaceId: `eni-${groupId.slice(3)}`,
    Groups: [{ GroupId: groupId, GroupName: "x" }],
    PrivateIpAddress: privateIp,
    PrivateIpAddresses: [{ PrivateIpAddress: privateIp, Primary: true, Association: { PublicIp: publicIp } }],
    Association: { PublicIp: publicIp },
  };
}

/**
 * EC2 stubbed at the SDK boundary: every client answers Describe calls from `world` (the groups and
 * interfaces that exist), filtering by group-id as EC2 does; `fail` makes a call reject instead.
 */
export function stubEc2(world: { groups: SecurityGroup[]; enis: NetworkInterface[] }) {
  const ec2 = mockClient(EC2Client);
  const ids = (input: { Filters?: { Name?: string; Values?: string[] }[] }) =>
    input.Filters?.find((f) => f.Name === "group-id")?.Values;
  ec2.on(DescribeSecurityGroupsCommand).callsFake((input) => {
    const want = ids(input);
    return { SecurityGroups: world.groups.filter((g) => !want || want.includes(g.GroupId!)) };
  });
  ec2.on(DescribeNetworkInterfacesCommand).callsFake((input) => {
    const want = ids(input);
    return {
      NetworkInterfaces: world.enis.filter(
        (n) => !want || (n.Groups ?? []).some((g) => want.includes(g.GroupId!)),
      ),
    };
  });
  return ec2;
}

/** An AWS service error as the SDK throws it. */
export function awsError(name: string, message: string, status = 400) {
  return Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode: status } });
}
