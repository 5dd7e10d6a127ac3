// Public index of the threat-service project: its program (loaded lazily, so importing the index loads no
// Pulumi), its stack-config schema, and the pieces the CLI's local CTS server and tests compose.
import type * as Program from "./program";
export { configSchema } from "./stack-config";
export { setSnapshotReaderOverride } from "./handlers/search";
export { handler as apiHandler } from "./handlers/api";
export { canonicalArtifact, searchId } from "./id";
export { buildHit } from "./hits";
export { SEARCHERS, searcherRegistry } from "./searchers";
export type { SearchContext, SearchOutcome, Searcher, SnapshotFilter, SnapshotReader } from "./searchers";
/** The program as `pulumi up` runs it. */
export const runFromConfig: typeof Program.runFromConfig = (...args) =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("./program") as typeof Program).runFromConfig(...args);
