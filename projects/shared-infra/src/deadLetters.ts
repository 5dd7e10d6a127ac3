import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocument } from "@sec-an/components";

export interface DeadLetterStoreArgs {
  /** Days after which dead letters (and noncurrent versions) expire. */
  expiryDays: number;
  tags: Record<string, string>;
}

/**
 * The bucket every dead-letter recorder archives failed messages into: private, encrypted, TLS-only,
 * versioned (a recorder bug cannot destroy evidence) and expiring so it does not grow forever.
 */
export class DeadLetterStore extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly name: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;

  constructor(name: string, args: DeadLetterStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:shared:DeadLetterStore", name, {}, opts);
    const parent = { parent: this };
    // Auto-named (name + random suffix): S3 names are global, a fixed name would collide across accounts.
    this.bucket = new aws.s3.Bucket(name, { forceDestroy: false, tags: args.tags }, parent);
    const bucket = this.bucket.id;

    const pab = new aws.s3.BucketPublicAccessBlock(
      `${name}-pab`,
      {
        bucket,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      parent,
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-sse`,
      {
        bucket,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }],
      },
      parent,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket, versioningConfiguration: { status: "Enabled" } },
      parent,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket,
        rules: [
          {
            id: "expire-dead-letters",
            status: "Enabled",
            filter: { prefix: "" },
            expiration: { days: args.expiryDays },
            noncurrentVersionExpiration: { noncurrentDays: args.expiryDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      { parent: this, dependsOn: [versioning] },
    );
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        }),
      },
      // A bucket policy put before the public-access block could be judged public and rejected.
      { parent: this, dependsOn: [pab] },
    );

    this.name = this.bucket.bucket;
    this.arn = this.bucket.arn;
    this.registerOutputs({ name: this.name, arn: this.arn });
  }
}

export interface SnsLoggingRoleArgs {
  /** Physical role name. */
  roleName: string;
  tags: Record<string, string>;
}

/** The role SNS assumes to write delivery-status logs (`sns/<region>/<account>/…` log groups) of every topic. */
export class SnsLoggingRole extends pulumi.ComponentResource {
  public readonly role: aws.iam.Role;
  public readonly arn: pulumi.Output<string>;

  constructor(name: string, args: SnsLoggingRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:shared:SnsLoggingRole", name, {}, opts);
    const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const partition = aws.getPartitionOutput({}, { parent: this }).partition;

    this.role = new aws.iam.Role(
      name,
      {
        name: args.roleName,
        description: "SNS delivery-status logging for sec-an topics",
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "sns.amazonaws.com" },
              Action: "sts:AssumeRole",
              // Confused-deputy guard: only SNS acting for this account.
              Condition: { StringEquals: { "aws:SourceAccount": account } },
            },
          ],
        }),
        tags: args.tags,
      },
      { parent: this },
    );
    const logGroups = pulumi.interpolate`arn:${partition}:logs:${region}:${account}:log-group:sns/${region}/${account}/*`;
    new aws.iam.RolePolicy(
      `${name}-logs`,
      {
        role: this.role.id,
        policy: policyDocument([
          {
            Sid: "DeliveryStatusLogs",
            Action: [
              "logs:CreateLogGroup",
              "logs:CreateLogStream",
              "logs:PutLogEvents",
              "logs:PutMetricFilter",
              "logs:PutRetentionPolicy",
            ],
            Resource: [logGroups, pulumi.interpolate`${logGroups}:log-stream:*`],
          },
        ]),
      },
      { parent: this },
    );
    this.arn = this.role.arn;
    this.registerOutputs({ arn: this.arn });
  }
}
