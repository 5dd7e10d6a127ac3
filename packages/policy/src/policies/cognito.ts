import { resourceRule } from "./util";

export const cognitoNoUnauthenticated = resourceRule(
  "cognito-identity-pool-no-unauthenticated",
  "Cognito identity pools give no credentials to unauthenticated identities.",
  ["aws:cognito/identityPool:IdentityPool"],
  (p, report) => {
    if (p.allowUnauthenticatedIdentities !== false) report("allowUnauthenticatedIdentities must be false");
  },
  "critical",
);
