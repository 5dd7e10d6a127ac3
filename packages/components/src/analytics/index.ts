// Analytics components: managed OpenSearch indices and Dashboards saved objects (through the
// analytics-platform admin Lambda), and the DynamoDB → OpenSearch sync.
export * from "./elastic-index";
export * from "./kibana-saved-object";
export * from "./views";
export * from "./dynamo-elastic-sync";
export {
  SyncEnv,
  SYNC_PARSER_VERSION,
  recordToCollection,
  normaliseItem,
  type SyncConfig,
} from "./sync-logic";
// The sync's record loop, for tests that drive it with real-shaped stream records.
export { syncRecords, type SyncDeps } from "./sync-handler";
