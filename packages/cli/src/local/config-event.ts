import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  CONFIG_SCANNER_TASK,
  ConfigScannerEnv,
  ConfigStateTableKeys,
  Env,
  type RawResult,
  type ScannerModule,
} from "@sec-an/contracts";
import { discoverProjects, findProject, loadProject, repoRoot } from "@sec-an/contracts/registry";
import { drainQueue } from "@sec-an/testing";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { Io } from "../main";

/**
 * `sec-an local --event <file> --resources <file>`: the config-scanner's real scan handler on one
 * CloudTrail event, with its state table, alerts topic, raw-results bucket and dead-letter queue on
 * the embedded emulators and EC2 answered from the resources file (describe-security-groups output).
 * Prints the findings, the alerts as they would be mailed, and any dead letter with its reason.
 */

/** What the config-scanner's public index offers the local run (found through the registry). */
interface ConfigScannerModule {
  scanner: ScannerModule;
  setEc2For(f: unknown): void;
  describeFile(v: unknown): unknown;
  ec2FromDescribe(file: unknown): unknown;
}

interface Finding {
  plugin: string;
  status: string;
  severity: string;
  resource: string;
  message: string;
}
interface Alert {
  subject: string;
  text: string;
  attributes: Record<string, string>;
}
export interface ConfigEventResult {
  relevant: boolean;
  reason: string;
  trigger: string;
  findings: Finding[];
  removed: string[];
  alerts: Alert[];
  deadLetters: { code: string; reason: string }[];
  documents: number;
  /** The resources file had no NetworkInterfaces: each group was assumed attached to one interface. */
  assumedAttached: boolean;
}

const readJson = (file: string, what: string): unknown => {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`${what}: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what}: ${file} is not JSON: ${(e as Error).message}`);
  }
};

export class UsageError extends Error {}

export async function runConfigEvent(opts: {
  event: string;
  resources: string;
  log?: (l: string) => void;
  /** Emulators already running (tests); by default they are started here and stopped after. */
  emulators?: { awsEndpoint: string; dynamoEndpoint: string };
}): Promise<ConfigEventResult> {
  const log = opts.log ?? (() => undefined);
  const event = readJson(opts.event, "--event");
  const root = repoRoot();
  const project = (await loadProject(
    findProject(discoverProjects(root), CONFIG_SCANNER_TASK),
  )) as unknown as ConfigScannerModule;
  let resources: { assumedAttached?: boolean };
  try {
    resources = project.describeFile(readJson(opts.resources, "--resources")) as typeof resources;
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError(`--resources: ${(e as Error).message}`);
  }

  type Emulators = { awsEndpoint: string; dynamoEndpoint: string; stop(): Promise<void> };
  let emulators: Emulators;
  if (opts.emulators) emulators = { ...opts.emulators, stop: async () => undefined };
  else {
    log("starting emulators (SQS/SNS/S3: fauxqs; DynamoDB: dynalite)");
    const { startEmulators } = (await import(join(root, "packages/testing/emulators.mjs"))) as {
      startEmulators(): Promise<Emulators>;
    };
    emulators = await startEmulators();
  }
  // Names of this run: emulators shared with others (tests) never mix two runs' stores.
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const saved = { ...process.env };
  try {
    const cfg = { region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } };
    const sqs = new SQSClient({ ...cfg, endpoint: emulators.awsEndpoint });
    const sns = new SNSClient({ ...cfg, endpoint: emulators.awsEndpoint });
    const s3 = new S3Client({ ...cfg, endpoint: emulators.awsEndpoint, forcePathStyle: true });
    const dynamo = new DynamoDBClient({ ...cfg, endpoint: emulators.dynamoEndpoint });

    const table = `local-config-scanner-state-${run}`;
    await dynamo.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        ...ConfigStateTableKeys,
      }),
    );
    const queue = async (name: string) => {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
      return { url: QueueUrl!, arn: a.Attributes!.QueueArn! };
    };
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({ Name: `local-config-scanner-alerts-${run}` }),
    );
    const inbox = await queue(`local-config-scanner-alerts-inbox-${run}`);
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: inbox.arn }));
    const dlq = await queue(`local-config-scanner-dlq-${run}`);
    const bucket = `local-config-scanner-results-${run}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    Object.assign(process.env, {
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL: emulators.awsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint,
      AWS_EC2_METADATA_DISABLED: "true",
      [Env.resultsBucket]: bucket,
      [Env.deadLetterQueueUrl]: dlq.url,
      // One attempt: a failure is shown at once, with the reason its dead letter carries.
      [Env.maxReceiveCount]: "1",
      [ConfigScannerEnv.stateTable]: table,
      [ConfigScannerEnv.alertsTopicArn]: TopicArn!,
    });
    project.setEc2For(project.ec2FromDescribe(resources));

    const scan = project.scanner.scan as { entry?: string };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require(scan.entry!) as { handler: (e: SQSEvent) => Promise<SQSBatchResponse> };
    const messageId = "local-event";
    log("running the config-scanner handler on the event");
    await handler({
      Records: [
        {
          messageId,
          receiptHandle: "local",
          body: JSON.stringify(event),
          attributes: {
            ApproximateReceiveCount: "1",
            SentTimestamp: String(Date.now()),
            SenderId: "local",
            ApproximateFirstReceiveTimestamp: String(Date.now()),
          },
          messageAttributes: {},
          md5OfBody: "",
          eventSource: "aws:sqs",
          eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:local-config-scanner",
          awsRegion: "us-east-1",
        },
      ],
    });

    const alerts = (await drainQueue(sqs, inbox.url)).map((m): Alert => {
      const n = JSON.parse(m.Body!) as {
        Subject: string;
        Message: string;
        MessageAttributes?: Record<string, { Value: string }>;
      };
      return {
        subject: n.Subject,
        text: n.Message,
        attributes: Object.fromEntries(
          Object.entries(n.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]),
        ),
      };
    });
    const deadLetters = (await drainQueue(sqs, dlq.url)).map((m) => ({
      code: m.MessageAttributes?.[`ErrorCode`]?.StringValue ?? "",
      reason: m.MessageAttributes?.[`ErrorMessage`]?.StringValue ?? "",
    }));
    const list = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${CONFIG_SCANNER_TASK}/` }),
    );
    const key = list.Contents?.map((o) => o.Key!).find((k) => k.endsWith(`/${messageId}.json`));
    if (!key)
      return {
        relevant: false,
        reason: "not evaluated",
        trigger: "",
        findings: [],
        removed: [],
        alerts,
        deadLetters,
        documents: 0,
        assumedAttached: !!resources.assumedAttached,
      };
    const body = Buffer.from(
      await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray(),
    );
    const evaluation = JSON.parse(body.toString("utf8")) as Omit<
      ConfigEventResult,
      "alerts" | "deadLetters" | "documents"
    >;
    const { getRawResult, runScannerParser } = await import("@sec-an/runtime");
    const raw: RawResult = await getRawResult(bucket, key);
    const parsed = await runScannerParser(raw, project.scanner);
    const documents = parsed.messages.reduce(
      (n, m) => n + Object.values(m.message.docs).reduce((k, d) => k + d.length, 0),
      0,
    );
    return {
      relevant: evaluation.relevant,
      reason: evaluation.reason,
      trigger: evaluation.trigger,
      findings: evaluation.findings,
      removed: evaluation.removed,
      alerts,
      deadLetters,
      documents,
      assumedAttached: !!resources.assumedAttached,
    };
  } finally {
    project.setEc2For(undefined);
    process.env = saved;
    await emulators.stop();
  }
}

/** The console report: the evaluation, each finding, each alert as mailed, each dead letter. */
export function configEventReport(r: ConfigEventResult): string {
  const lines = [
    `event: ${r.trigger || "?"}: ${r.relevant ? "relevant" : "not relevant"} (${r.reason})`,
    ...(r.assumedAttached
      ? ["note: the resources file has no NetworkInterfaces: each group is assumed attached (in use)"]
      : []),
    `findings: ${r.findings.length}   alerts: ${r.alerts.length}   documents for the config-scanner_findings indices: ${r.documents}`,
    ...r.findings
      .filter((f) => f.status !== "OK")
      .map((f) => `  ${f.status.padEnd(7)} ${f.plugin.padEnd(26)} ${f.resource}  ${f.message}`),
    ...(r.findings.some((f) => f.status === "OK")
      ? [`  (${r.findings.filter((f) => f.status === "OK").length} OK findings not listed)`]
      : []),
    ...r.removed.map((g) => `  removed ${g}: the group does not exist (its findings are resolved)`),
    ...r.alerts.flatMap((a) => [
      "",
      `alert: ${a.subject}`,
      ...a.text
        .trimEnd()
        .split("\n")
        .map((l) => `  ${l}`),
    ]),
    ...r.deadLetters.map((d) => `dead letter: ${d.code}: ${d.reason}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** The `sec-an local --event … --resources …` command. */
export async function run(argv: string[], io: Io): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        event: { type: "string" },
        resources: { type: "string" },
        json: { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    io.stderr.write(`sec-an local: ${(e as Error).message}\n`);
    return 2;
  }
  if (!values.event || !values.resources) {
    io.stderr.write("sec-an local: --event <file> needs --resources <describe-security-groups.json>\n");
    return 2;
  }
  // The handler logs to stdout as it would in Lambda; here stdout carries only the result.
  const stdoutWrite = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    const r = await runConfigEvent({
      event: values.event,
      resources: values.resources,
      log: (l) => io.stderr.write(`${l}\n`),
    });
    process.stdout.write = stdoutWrite;
    io.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : configEventReport(r));
    return r.deadLetters.length ? 1 : 0;
  } catch (e) {
    process.stdout.write = stdoutWrite;
    if (e instanceof UsageError) {
      io.stderr.write(`sec-an local: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
