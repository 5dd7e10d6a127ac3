import { checkResources } from "@sec-an/policy";
import { readStackConfig } from "@sec-an/components";
import { indexBase, paramName, Params } from "@sec-an/contracts";
import { resources, resourcesOfType, runProgram, setupPulumiMocks } from "@sec-an/testing";
import { program } from "../src/program";
import { scanner } from "../src/scanner";
import { configSchema } from "../src/stack-config";

const d = { app: "sec-an", stage: "dev" };
/** What the other stacks export, as the mock answers the program's deploy-time SSM reads. */
const ssm = {
  [paramName(d, Params.deadLettersBucketArn)]: "arn:aws:s3:::dev-sec-an-dead-letters",
  [paramName(d, Params.ingestQueueArn)]: "arn:aws:sqs:us-east-1:123456789012:dev-sec-an-ingest",
  [paramName(d, Params.esAdminFunctionName)]: "dev-sec-an-opensearch-admin",
  [paramName(d, Params.portsTopicArn)]: "arn:aws:sns:us-east-1:123456789012:dev-sec-an-ports-detected",
};

describe("sec-an-http-headers program", () => {
  beforeAll(async () => {
    setupPulumiMocks({ project: "sec-an-http-headers", stack: "dev", ssm });
    const values: Record<string, string> = {};
    const config = readStackConfig({ get: (k) => values[k] }, "sec-an-http-headers", configSchema, "dev");
    await runProgram(() => program(config));
  }, 120_000);

  test("one scanner, with a snapshot and a history index for every document type it posts", () => {
    expect(resourcesOfType("sec-an:scanner:Scanner").map((r) => r.name)).toEqual(["dev-sec-an-http-headers"]);
    const indices = resourcesOfType("aws:lambda/invocation:Invocation")
      .map((r) => JSON.parse(r.inputs.input))
      .filter((spec) => spec.kind === "index")
      .map((spec) => spec.base)
      .sort();
    const expected = scanner.docTypes.flatMap((t) => [
      indexBase(scanner.name, t, "history"),
      indexBase(scanner.name, t, "snapshot"),
    ]);
    expect(indices).toEqual(expected.sort());
  });

  test("the task queue is subscribed to ports, with one queue policy", () => {
    const subs = resourcesOfType("aws:sns/topicSubscription:TopicSubscription");
    expect(subs.map((s) => s.inputs.topic)).toContain(ssm[paramName(d, Params.portsTopicArn)]);
    expect(resourcesOfType("aws:sqs/queuePolicy:QueuePolicy").map((p) => p.name)).toContain(
      "dev-sec-an-http-headers-queue-policy",
    );
  });

  test("zero policy violations", async () => {
    expect(await checkResources(resources())).toEqual([]);
  });
});
