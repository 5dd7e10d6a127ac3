import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  awsClientConfig,
  openSearchForTests,
  s3ClientConfig,
  type OpenSearchUnderTest,
} from "@sec-an/testing";
import { OpenSearchStore, type RetryPolicy } from "../src/store/opensearch";

/** Retries in milliseconds: the double answers at once, so a fault test need not wait out real backoff. */
export const FAST_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

export interface AnalyticsDouble {
  /** The OpenSearch under test (the double, or a real cluster when OPENSEARCH_URL is set); after `beforeAll`. */
  os: OpenSearchUnderTest;
  /** A store on `os` with the given retry policy; after `beforeAll`. */
  store: OpenSearchStore;
  /** fauxqs clients, usable at once. */
  sqs: SQSClient;
  s3: S3Client;
}

/**
 * The analytics suites' common set-up, as jest hooks of the enclosing block: OpenSearch and a store on it
 * before all tests, fauxqs clients, and everything closed after all tests. Register it before the
 * suite's own `beforeAll`, which then sees `os` and `store` set.
 */
export function useAnalyticsDouble(retry: RetryPolicy = FAST_RETRY): AnalyticsDouble {
  const t = { sqs: new SQSClient(awsClientConfig()), s3: new S3Client(s3ClientConfig()) } as AnalyticsDouble;
  beforeAll(async () => {
    t.os = await openSearchForTests();
    t.store = OpenSearchStore.unsigned(t.os.url, retry);
  });
  afterAll(async () => {
    t.sqs.destroy();
    t.s3.destroy();
    await t.os?.close();
  });
  return t;
}
