import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { awsClientConfig, dynamoClientConfig, uniqueName } from "../src";

describe("emulators started by the global setup", () => {
  it("speaks SQS over the AWS wire protocol", async () => {
    const sqs = new SQSClient(awsClientConfig());
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("q") }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "hello" }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(["hello"]);
  });

  it("speaks DynamoDB", async () => {
    const ddb = new DynamoDBClient(dynamoClientConfig());
    const TableName = uniqueName("t");
    await ddb.send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: [{ AttributeName: "Address", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "Address", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    const d = await ddb.send(new DescribeTableCommand({ TableName }));
    expect(d.Table?.TableStatus).toBe("ACTIVE");
  });
});
