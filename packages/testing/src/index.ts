export * from "./aws";
export * from "./opensearch";
export * from "./pulumi";
export * from "./faults";
export * from "./redis";
export * from "./sqs";
export * from "./dns-tables";
