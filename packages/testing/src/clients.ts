import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { awsClientConfig, dynamoClientConfig, s3ClientConfig, uniqueName } from "./aws";

export interface EmulatorClients {
  sqs: SQSClient;
  sns: SNSClient;
  s3: S3Client;
  dynamo: DynamoDBClient;
}

/** Real AWS SDK clients against the emulators: fauxqs for SQS, SNS and S3, dynalite for DynamoDB. */
export function emulatorClients(): EmulatorClients {
  return {
    sqs: new SQSClient(awsClientConfig()),
    sns: new SNSClient(awsClientConfig()),
    s3: new S3Client(s3ClientConfig()),
    dynamo: new DynamoDBClient(dynamoClientConfig()),
  };
}

/** A new bucket under a unique name (lower case and short enough for S3's naming rules). */
export async function createTestBucket(s3: S3Client, prefix = "b"): Promise<string> {
  const name = uniqueName(prefix).toLowerCase().slice(0, 60);
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}
