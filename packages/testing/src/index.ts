export * from "./aws";
export * from "./opensearch";
export * from "./pulumi";
