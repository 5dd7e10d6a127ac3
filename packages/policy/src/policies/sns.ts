import { hasScopingCondition, hasWildcardPrincipal, isAllow, resourceRule, statements } from "./util";

export const snsTopicEncrypted = resourceRule(
  "sns-topic-encrypted",
  "SNS topics are KMS-encrypted (kmsMasterKeyId, e.g. alias/aws/sns).",
  ["aws:sns/topic:Topic"],
  (p, report) => {
    if (!p.kmsMasterKeyId) report("topic is not encrypted: set kmsMasterKeyId (e.g. alias/aws/sns)");
  },
);

/** Resource types whose `policy` is a resource policy a `*` principal could open to the world. */
const POLICY_HOLDERS = [
  "aws:sqs/queuePolicy:QueuePolicy",
  "aws:sqs/queue:Queue",
  "aws:sns/topicPolicy:TopicPolicy",
  "aws:sns/topic:Topic",
  "aws:s3/bucketPolicy:BucketPolicy",
];

export const noUnscopedPublicPrincipal = resourceRule(
  "resource-policy-public-principal-scoped",
  "Queue, topic and bucket policies that allow a `*` principal restrict it with an aws:SourceArn/SourceAccount (or org/VPC endpoint) condition.",
  POLICY_HOLDERS,
  (p, report) => {
    for (const s of statements(p.policy)) {
      if (isAllow(s) && hasWildcardPrincipal(s) && !hasScopingCondition(s)) {
        report(
          `policy statement ${JSON.stringify(s.Action ?? s.NotAction)} allows principal "*" without an aws:SourceArn/aws:SourceAccount condition`,
        );
      }
    }
  },
  "critical",
);
