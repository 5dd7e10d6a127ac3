import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { publicClientArgs } from "@sec-an/components";
import type { MfaMode } from "./config";

export interface UserDirectoryArgs {
  /** Physical name prefix, e.g. `dev-sec-an`. */
  prefix: string;
  mfa: MfaMode;
  domainPrefix: string;
  /** OAuth callback URLs of the Dashboards client; empty = SRP sign-in only, no hosted-UI OAuth. */
  callbackUrls: string[];
  deletionProtection: boolean;
  tags: Record<string, string>;
}

/**
 * Who may read sec-an's results: a Cognito user pool (administrators create users; no self sign-up),
 * an app client and hosted-UI domain for Dashboards, and an identity pool whose authenticated
 * identities assume the `sec_an_user` role (the OpenSearch domain policy grants that role access).
 */
export class UserDirectory extends pulumi.ComponentResource {
  public readonly userPool: aws.cognito.UserPool;
  public readonly client: aws.cognito.UserPoolClient;
  /** For `sec-an scan`: user and password sent to Cognito over TLS (a CLI has no browser for SRP's hosted UI). */
  public readonly cliClient: aws.cognito.UserPoolClient;
  public readonly domain: aws.cognito.UserPoolDomain;
  public readonly identityPool: aws.cognito.IdentityPool;
  public readonly userRole: aws.iam.Role;

  constructor(name: string, args: UserDirectoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:shared:UserDirectory", name, {}, opts);
    const parent = { parent: this };

    this.userPool = new aws.cognito.UserPool(
      `${name}-pool`,
      {
        name: `${args.prefix}-users`,
        usernameAttributes: ["email"],
        autoVerifiedAttributes: ["email"],
        adminCreateUserConfig: { allowAdminCreateUserOnly: true },
        passwordPolicy: {
          minimumLength: 14,
          requireLowercase: true,
          requireUppercase: true,
          requireNumbers: true,
          requireSymbols: true,
          temporaryPasswordValidityDays: 3,
        },
        mfaConfiguration: args.mfa,
        ...(args.mfa === "OFF" ? {} : { softwareTokenMfaConfiguration: { enabled: true } }),
        accountRecoverySetting: { recoveryMechanisms: [{ name: "verified_email", priority: 1 }] },
        deletionProtection: args.deletionProtection ? "ACTIVE" : "INACTIVE",
        tags: args.tags,
      },
      parent,
    );

    const oauth = args.callbackUrls.length > 0;
    this.client = new aws.cognito.UserPoolClient(
      `${name}-dashboards`,
      {
        ...publicClientArgs({
          name: `${args.prefix}-dashboards`,
          userPoolId: this.userPool.id,
          signIn: "srp",
          refreshTokenHours: 12,
        }),
        ...(oauth
          ? {
              allowedOauthFlowsUserPoolClient: true,
              allowedOauthFlows: ["code"],
              allowedOauthScopes: ["openid", "email", "profile"],
              callbackUrls: args.callbackUrls,
              logoutUrls: args.callbackUrls,
            }
          : {}),
      },
      parent,
    );

    this.cliClient = new aws.cognito.UserPoolClient(
      `${name}-cli`,
      publicClientArgs({
        name: `${args.prefix}-cli`,
        userPoolId: this.userPool.id,
        signIn: "password",
        refreshTokenHours: 1,
      }),
      parent,
    );

    this.domain = new aws.cognito.UserPoolDomain(
      `${name}-domain`,
      { domain: args.domainPrefix, userPoolId: this.userPool.id },
      parent,
    );

    this.identityPool = new aws.cognito.IdentityPool(
      `${name}-identities`,
      {
        identityPoolName: `${args.prefix}-identities`,
        allowUnauthenticatedIdentities: false,
        allowClassicFlow: false,
        cognitoIdentityProviders: [
          { clientId: this.client.id, providerName: this.userPool.endpoint, serverSideTokenCheck: true },
        ],
        tags: args.tags,
      },
      // OpenSearch adds its own app client to this list when Dashboards use Cognito: replacing the list
      // with ours on the next update would remove it and break Dashboards login.
      { ...parent, ignoreChanges: ["cognitoIdentityProviders"] },
    );

    this.userRole = new aws.iam.Role(
      `${name}-user-role`,
      {
        name: `${args.prefix}-sec_an_user`,
        description: "Assumed by authenticated sec-an Dashboards users through the Cognito identity pool",
        assumeRolePolicy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Federated: "cognito-identity.amazonaws.com" },
              Action: "sts:AssumeRoleWithWebIdentity",
              // Only identities of this pool, and only once authenticated.
              Condition: {
                StringEquals: { "cognito-identity.amazonaws.com:aud": this.identityPool.id },
                "ForAnyValue:StringLike": { "cognito-identity.amazonaws.com:amr": "authenticated" },
              },
            },
          ],
        }),
        tags: args.tags,
      },
      parent,
    );

    new aws.cognito.IdentityPoolRoleAttachment(
      `${name}-roles`,
      { identityPoolId: this.identityPool.id, roles: { authenticated: this.userRole.arn } },
      parent,
    );

    this.registerOutputs({
      userPoolId: this.userPool.id,
      identityPoolId: this.identityPool.id,
      clientId: this.client.id,
      userRoleArn: this.userRole.arn,
    });
  }
}
