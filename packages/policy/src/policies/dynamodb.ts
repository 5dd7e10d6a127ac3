import { resourceRule } from "./util";

export const dynamodbTableProtected = resourceRule(
  "dynamodb-table-sse-and-pitr",
  "DynamoDB tables have server-side encryption and point-in-time recovery enabled.",
  ["aws:dynamodb/table:Table"],
  (p, report) => {
    if (p.serverSideEncryption?.enabled !== true) report("serverSideEncryption.enabled must be true");
    if (p.pointInTimeRecovery?.enabled !== true) report("pointInTimeRecovery.enabled must be true");
  },
);
