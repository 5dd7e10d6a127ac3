// Analytics components: managed OpenSearch indices and Dashboards saved objects (through the
// analytics-platform admin Lambda), and the DynamoDB → OpenSearch sync.
export * from "./elastic-index";
export * from "./kibana-saved-object";
