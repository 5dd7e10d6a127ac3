import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * When raw results move to cheaper storage, and whether they are ever deleted (days after creation).
 * The lake is what re-ingestion replays, so by default nothing is deleted: results end in Glacier
 * Instant Retrieval, which a plain GetObject still reads in milliseconds (per-GB retrieval fee, 90-day
 * minimum), so re-ingestion needs no restore step. Deep Archive would need one (hours), so it is not used.
 */
export interface RawRetention {
  /** Move to STANDARD_IA (≥ 30, S3's minimum). Default 30; `false` keeps them in STANDARD. */
  readonly infrequentAccessAfterDays?: number | false;
  /** Move to GLACIER_IR. Default 90; `false` skips it. */
  readonly glacierAfterDays?: number | false;
  /** Delete current versions after this many days. Default `false`: never (re-ingestion reads them). */
  readonly expireAfterDays?: number | false;
  /** Delete superseded versions this long after they stopped being current. Default 30. */
  readonly noncurrentExpireAfterDays?: number;
}

export interface ResultsBucketArgs {
  /** Physical bucket name. */
  readonly bucketName: pulumi.Input<string>;
  readonly retention?: RawRetention;
  /** Allow `pulumi destroy` to delete a non-empty bucket (ephemeral stacks only). */
  readonly forceDestroy?: boolean;
  readonly tags?: Record<string, string>;
}

export interface ResultsBucket {
  readonly bucket: aws.s3.Bucket;
  readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  readonly policy: aws.s3.BucketPolicy;
}

/** The lifecycle rule for the raw results, validated (S3 rejects IA before 30 days and out-of-order tiers). */
export function lifecycleRule(r: RawRetention = {}): aws.types.input.s3.BucketLifecycleConfigurationRule {
  const ia = r.infrequentAccessAfterDays === undefined ? 30 : r.infrequentAccessAfterDays;
  const glacier = r.glacierAfterDays === undefined ? 90 : r.glacierAfterDays;
  const expire = r.expireAfterDays ?? false;
  const noncurrent = r.noncurrentExpireAfterDays ?? 30;
  const days = (what: string, v: number) => {
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`${what} must be a positive whole number of days, got ${v}`);
    return v;
  };
  if (ia !== false && days("infrequentAccessAfterDays", ia) < 30)
    throw new Error(`infrequentAccessAfterDays must be ≥ 30 (S3 minimum), got ${ia}`);
  if (ia !== false && glacier !== false && days("glacierAfterDays", glacier) < ia + 30) {
    throw new Error(
      `glacierAfterDays (${glacier}) must be at least 30 days after infrequentAccessAfterDays (${ia})`,
    );
  }
  const last = glacier !== false ? glacier : ia;
  if (expire !== false && last !== false && days("expireAfterDays", expire) <= last) {
    throw new Error(`expireAfterDays (${expire}) must come after the last transition (${last})`);
  }
  const transitions: aws.types.input.s3.BucketLifecycleConfigurationRuleTransition[] = [];
  if (ia !== false) transitions.push({ days: ia, storageClass: "STANDARD_IA" });
  if (glacier !== false)
    transitions.push({ days: days("glacierAfterDays", glacier), storageClass: "GLACIER_IR" });
  return {
    id: "raw-results",
    status: "Enabled",
    filter: {},
    transitions,
    expiration: expire !== false ? { days: days("expireAfterDays", expire) } : undefined,
    noncurrentVersionExpiration: { noncurrentDays: days("noncurrentExpireAfterDays", noncurrent) },
    abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
  };
}

/** Deny every request not made over TLS (the policy rule and AWS Security Hub S3.5 expect it). */
export function tlsOnlyPolicy(bucketArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

/**
 * The raw-results lake of one task: encrypted, versioned (a re-run never silently loses the previous
 * result), ACLs disabled, public access blocked, TLS only, and tiered to an archive class as it ages
 * (deleted only when `retention.expireAfterDays` says so).
 */
export function resultsBucket(name: string, args: ResultsBucketArgs, parent: pulumi.Resource): ResultsBucket {
  const opts = { parent };
  const bucket = new aws.s3.Bucket(
    name,
    { bucket: args.bucketName, forceDestroy: args.forceDestroy ?? false, tags: args.tags },
    opts,
  );
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    opts,
  );
  new aws.s3.BucketOwnershipControls(
    `${name}-ownership`,
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    opts,
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-sse`,
    {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
    },
    opts,
  );
  const versioning = new aws.s3.BucketVersioning(
    `${name}-versioning`,
    { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
    opts,
  );
  new aws.s3.BucketLifecycleConfiguration(
    `${name}-lifecycle`,
    { bucket: bucket.id, rules: [lifecycleRule(args.retention)] },
    // S3 rejects noncurrent-version rules racing the versioning change.
    { parent, dependsOn: [versioning] },
  );
  const policy = new aws.s3.BucketPolicy(
    `${name}-policy`,
    { bucket: bucket.id, policy: bucket.arn.apply(tlsOnlyPolicy) },
    // A bucket policy put before the block is in place could briefly be public; order them.
    { parent, dependsOn: [publicAccessBlock] },
  );
  return { bucket, publicAccessBlock, policy };
}
