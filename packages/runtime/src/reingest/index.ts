// Re-ingestion: replay a task's raw results through its parser (and the CLI command around it).
export * from "./reingest";
export * from "./sqs-publisher";
export * from "./command";
