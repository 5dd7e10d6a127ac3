import type { PolicyResource } from "@pulumi/policy";
import { asArray, ofType, refersTo, stackRule, type Loose } from "./util";

const BUCKETS = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const SSE = [
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];
const OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls";
const PAB_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

/** The child resources (PAB, SSE, ownership...) attached to `bucket` through their `bucket` input. */
function attached(resources: PolicyResource[], bucket: PolicyResource, types: string[]): PolicyResource[] {
  const ids = [bucket.props.bucket, bucket.props.id];
  return ofType(resources, ...types).filter((r) => refersTo(r, "bucket", bucket, ids));
}

const hasDefaultEncryption = (rules: unknown) =>
  asArray(rules as Loose[]).some((r: Loose) => !!r?.applyServerSideEncryptionByDefault?.sseAlgorithm);

export const s3BucketHardened = stackRule(
  "s3-bucket-hardened",
  "Every S3 bucket has a public-access block with all four flags, default server-side encryption and BucketOwnerEnforced ownership.",
  (resources, report) => {
    for (const b of ofType(resources, ...BUCKETS)) {
      const pabs = attached(resources, b, [PAB]);
      if (!pabs.some((pab) => PAB_FLAGS.every((f) => pab.props[f] === true))) {
        report(
          `bucket ${b.name} needs a BucketPublicAccessBlock with ${PAB_FLAGS.join(", ")} all true`,
          b.urn,
        );
      }
      const inlineSse = hasDefaultEncryption(
        b.props.serverSideEncryptionConfiguration?.rule ?? b.props.serverSideEncryptionConfigurations,
      );
      if (!inlineSse && !attached(resources, b, SSE).some((s) => hasDefaultEncryption(s.props.rules))) {
        report(
          `bucket ${b.name} needs a BucketServerSideEncryptionConfiguration with a default sseAlgorithm`,
          b.urn,
        );
      }
      if (
        !attached(resources, b, [OWNERSHIP]).some(
          (o) => o.props.rule?.objectOwnership === "BucketOwnerEnforced",
        )
      ) {
        report(
          `bucket ${b.name} needs BucketOwnershipControls with objectOwnership BucketOwnerEnforced (ACLs disabled)`,
          b.urn,
        );
      }
    }
  },
  "critical",
);
