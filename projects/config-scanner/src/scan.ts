import { ConfigScannerEnv, type ConfigScanRequest, type ScanFn } from "@sec-an/contracts";
import { dynamoDocClient, snsClient } from "@sec-an/runtime";
import type { AlertMessage } from "./alerts/message";
import { defaultEc2For, type Ec2For } from "./collect/ec2";
import { evaluate, type EvaluateDeps, type Evaluation } from "./evaluate";
import { FindingsState } from "./state/store";

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (the config-scanner program sets it)`);
  return v;
}

/** Publishes an alert to the alerts topic, with its filterable attributes. */
export async function publishAlert(topicArn: string, a: AlertMessage): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PublishCommand } = require("@aws-sdk/client-sns") as typeof import("@aws-sdk/client-sns");
  await snsClient().send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: a.subject,
      Message: a.text,
      MessageAttributes: Object.fromEntries(
        Object.entries(a.attributes).map(([k, v]) => [
          k,
          Array.isArray(v)
            ? { DataType: "String.Array", StringValue: JSON.stringify(v) }
            : { DataType: "String", StringValue: v },
        ]),
      ),
    }),
  );
}

let ec2For: Ec2For = defaultEc2For;
/** Answer EC2 calls with another client factory (tests, `sec-an local --resources`). */
export function setEc2For(f: Ec2For | undefined): void {
  ec2For = f ?? defaultEc2For;
}

/** The handler's dependencies from its environment (read per call: the local run sets it per invocation). */
export function depsFromEnv(env: NodeJS.ProcessEnv = process.env): EvaluateDeps {
  const table = env[ConfigScannerEnv.stateTable] || required(ConfigScannerEnv.stateTable);
  const topic = env[ConfigScannerEnv.alertsTopicArn] || required(ConfigScannerEnv.alertsTopicArn);
  return {
    ec2For,
    state: new FindingsState(dynamoDocClient, table),
    publish: (a) => publishAlert(topic, a),
    now: () => new Date(),
    homeAccount: env[ConfigScannerEnv.homeAccount] || undefined,
  };
}

/** The scan of the scanner seam: one evaluation, kept in the lake as JSON. */
export const scan: ScanFn<ConfigScanRequest> = async (request) => {
  const startTime = new Date();
  const result: Evaluation = await evaluate(request, depsFromEnv());
  return {
    body: JSON.stringify(result),
    extension: "json",
    contentType: "application/json",
    startTime,
    endTime: new Date(),
  };
};
