import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

export interface PublicClientArgs {
  /** Physical name of the app client. */
  name: string;
  userPoolId: pulumi.Input<string>;
  /** `srp`: password never leaves the client (browsers, SOAR); `password`: user and password over TLS (a CLI). */
  signIn: "srp" | "password";
  /** Refresh token lifetime; access and id tokens always live one hour. */
  refreshTokenHours: number;
}

/**
 * Arguments of a public Cognito app client (no secret: it runs where a secret cannot be kept), hardened
 * the same way wherever one is made: no user-existence oracle, revocable tokens, Cognito users only,
 * one-hour access and id tokens. Callers spread extra settings (OAuth flows) over the result.
 */
export function publicClientArgs(a: PublicClientArgs): aws.cognito.UserPoolClientArgs {
  return {
    name: a.name,
    userPoolId: a.userPoolId,
    generateSecret: false,
    preventUserExistenceErrors: "ENABLED",
    enableTokenRevocation: true,
    explicitAuthFlows: [
      a.signIn === "srp" ? "ALLOW_USER_SRP_AUTH" : "ALLOW_USER_PASSWORD_AUTH",
      "ALLOW_REFRESH_TOKEN_AUTH",
    ],
    supportedIdentityProviders: ["COGNITO"],
    accessTokenValidity: 60,
    idTokenValidity: 60,
    refreshTokenValidity: a.refreshTokenHours,
    tokenValidityUnits: { accessToken: "minutes", idToken: "minutes", refreshToken: "hours" },
  };
}
