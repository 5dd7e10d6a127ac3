import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { s3BucketHardened, sqsVisibilityVsLambdaTimeout } from "../src";

/** A PolicyResource as the CLI hands it over: joins come through propertyDependencies, not values. */
function res(
  type: string,
  name: string,
  props: Record<string, unknown>,
  deps: Record<string, PolicyResource[]> = {},
): PolicyResource {
  return {
    type,
    name,
    urn: `urn:pulumi:dev::p::${type}::${name}`,
    props,
    opts: {} as PolicyResource["opts"],
    dependencies: Object.values(deps).flat(),
    propertyDependencies: deps,
    isType: () => false,
    asType: () => undefined,
  };
}

async function runStack(policy: StackValidationPolicy, resources: PolicyResource[]): Promise<string[]> {
  const messages: string[] = [];
  await policy.validateStack(
    {
      resources,
      stackTags: new Map(),
      getConfig: <T extends object>() => ({}) as T,
      notApplicable: () => {
        throw new Error("n/a");
      },
    },
    (m) => messages.push(m),
  );
  return messages;
}

describe("stack rules join through property dependencies (the CLI path)", () => {
  test("s3-bucket-hardened: attachments found by dependency even when names are not known yet", async () => {
    const bucket = res("aws:s3/bucket:Bucket", "b", {});
    const on = { bucket: [bucket] };
    const attachments = [
      res(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "pab",
        {
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        on,
      ),
      res(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "sse",
        { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
        on,
      ),
      res(
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "own",
        { rule: { objectOwnership: "BucketOwnerEnforced" } },
        on,
      ),
    ];
    expect(await runStack(s3BucketHardened, [bucket, ...attachments])).toEqual([]);
    // the same attachments pointing at another bucket do not count
    const other = res("aws:s3/bucket:Bucket", "other", {});
    const elsewhere = attachments.map((a) => ({ ...a, propertyDependencies: { bucket: [other] } }));
    expect(await runStack(s3BucketHardened, [bucket, other, ...elsewhere])).toHaveLength(3);
  });

  test("sqs-visibility-covers-lambda-timeout: queue and function found by dependency", async () => {
    const queue = res("aws:sqs/queue:Queue", "q", { visibilityTimeoutSeconds: 60 });
    const fn = res("aws:lambda/function:Function", "f", { timeout: 20 });
    const esm = res(
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "m",
      {},
      { eventSourceArn: [queue], functionName: [fn] },
    );
    expect(await runStack(sqsVisibilityVsLambdaTimeout, [queue, fn, esm])).toEqual([
      "queue q visibility 60s < 6 x timeout 20s of f (need >= 120s)",
    ]);
  });
});
