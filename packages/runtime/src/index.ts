export * from "./aws";
export * from "./params";
export * from "./publisher";
export * from "./results-context";
export * from "./parse-tools";
export * from "./raw-store";
export * from "./batch";
export * from "./dlq";
export * from "./error-channel";
export * from "./errors";
export * from "./task-kit";
export * from "./launcher";
export * from "./map-limit";
export * from "./reingest";
// Named helpers of the generic handlers (their `handler` exports are reached by file path).
export { deadLetterMetadata, deadLetterRecord, recordDeadLetter } from "./handlers/dead-letter-recorder";
export { GLUE_TOPIC_ENV, forwardRecord, toSnsAttributes } from "./handlers/sqs-sns-glue";
export * from "./parse-handler";
export * from "./container-scan";
