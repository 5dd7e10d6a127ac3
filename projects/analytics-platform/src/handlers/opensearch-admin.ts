import { AdminEvent, validate, type AdminResult } from "@sec-an/contracts";
import { administer } from "../admin";
import { openSearchStore } from "../store/resolve";

/**
 * Admin Lambda (in the VPC: the domain is VPC-only, so a deployer's machine cannot reach it). Invoked by
 * `aws.lambda.Invocation` (lifecycleScope CRUD) from ElasticIndex and KibanaSavedObject in any project.
 * Throwing fails the deploy step with the message, which is what a bad spec should do.
 */
export const handler = async (event: unknown): Promise<AdminResult> => {
  const spec = validate(AdminEvent, event, "admin request");
  const store = await openSearchStore();
  const security =
    store.putRole && store.putRoleMapping && store.deleteRole && store.deleteRoleMapping
      ? (store as Required<typeof store>)
      : undefined;
  return administer(spec, { indices: store, savedObjects: store, security });
};
