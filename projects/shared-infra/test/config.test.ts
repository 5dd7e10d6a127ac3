import { stackConfig as cfg } from "@sec-an/testing";
import { checkCidr, parseConfig } from "../src/config";

describe("shared-infra config", () => {
  test("defaults: no NAT, public instance subnets, endpoints on, MFA optional", () => {
    expect(parseConfig(cfg({}), "dev")).toEqual({
      deployment: { app: "sec-an", stage: "dev" },
      deadLetterExpiryDays: 90,
      vpcCidr: "10.0.0.0/16",
      azCount: 2,
      natStrategy: "None",
      usePrivateSubnets: false,
      interfaceEndpoints: true,
      flowLogTraffic: "REJECT",
      flowLogRetentionDays: 90,
      mfa: "OPTIONAL",
      cognitoDomainPrefix: "sec-an-dev",
      dashboardsCallbackUrls: [],
      apiStageName: "v1",
      apiAccessLogs: false,
      manageApiGatewayAccount: false,
      apiLogRetentionDays: 365,
      protectUserPool: true,
      notificationEmails: [],
      notificationHttpsEndpoints: [],
      scanAllowList: [],
      onDemandScanners: ["nmap"],
    });
  });

  test("scanAllowList: CIDRs or addresses; anything else names the key and the entry", () => {
    expect(
      parseConfig(cfg({ scanAllowList: '["203.0.113.0/24","2001:db8::1"]' }), "dev").scanAllowList,
    ).toEqual(["203.0.113.0/24", "2001:db8::1"]);
    expect(() => parseConfig(cfg({ scanAllowList: '["corp.example.test"]' }), "dev")).toThrow(
      /scanAllowList.*corp\.example\.test.*not an address or CIDR/,
    );
    expect(() => parseConfig(cfg({ scanAllowList: '["10.0.0.0/33"]' }), "dev")).toThrow(
      /scanAllowList.*bad prefix/,
    );
    expect(() => parseConfig(cfg({ scanAllowList: '["10.0.0.1;id"]' }), "dev")).toThrow(
      /scanAllowList.*metacharacters/,
    );
  });

  test("a NAT makes private subnets the default for workloads", () => {
    const c = parseConfig(
      cfg({
        natStrategy: "Single",
        stage: "prod",
        azCount: "3",
        dashboardsCallbackUrls: '["https://x.example/_dashboards"]',
      }),
      "s",
    );
    expect([
      c.natStrategy,
      c.usePrivateSubnets,
      c.azCount,
      c.deployment.stage,
      c.dashboardsCallbackUrls,
    ]).toEqual(["Single", true, 3, "prod", ["https://x.example/_dashboards"]]);
  });

  test.each([
    [{ deadLetterExpiryDays: "0" }, /deadLetterExpiryDays: must be an integer 1\.\.3650, got "0"/],
    [{ azCount: "two" }, /azCount: must be an integer 1\.\.4/],
    [{ natStrategy: "single" }, /natStrategy: must be one of None, Single, OnePerAz/],
    [{ usePrivateSubnets: "true" }, /usePrivateSubnets: needs natStrategy Single or OnePerAz/],
    [{ usePrivateSubnets: "yes" }, /usePrivateSubnets: must be true or false/],
    [{ vpcCidr: "8.8.0.0/16" }, /vpcCidr: "8\.8\.0\.0\/16" must be inside an RFC 1918 private range/],
    [{ vpcCidr: "10.0.0.0/8" }, /vpcCidr: .*prefix must be \/16\.\.\/24/],
    [{ flowLogTraffic: "some" }, /flowLogTraffic: must be one of NONE, REJECT, ALL/],
    [
      { flowLogRetentionDays: "100" },
      /flowLogRetentionDays: must be one of the CloudWatch retention periods/,
    ],
    [{ mfa: "maybe" }, /mfa: must be one of OFF, OPTIONAL, ON/],
    [{ cognitoDomainPrefix: "my-aws-login" }, /cognitoDomainPrefix: .*not contain aws/],
    [
      { dashboardsCallbackUrls: '["http://evil.example/"]' },
      /dashboardsCallbackUrls: http:\/\/evil\.example\/ must use https/,
    ],
    [{ dashboardsCallbackUrls: "https://x" }, /dashboardsCallbackUrls: must be a list of URLs/],
    [{ stage: "bad/stage" }, /app\/stage: invalid app\/stage/],
    [{ apiStageName: "v-1" }, /apiStageName: must be/],
  ])("rejects %j", (values, message) => {
    expect(() => parseConfig(cfg(values as Record<string, string>), "dev")).toThrow(message);
  });

  test("checkCidr alignment and octets", () => {
    expect(checkCidr("172.16.0.0/20")).toBe("172.16.0.0/20");
    expect(() => checkCidr("10.0.1.0/16")).toThrow(/not aligned/);
    expect(() => checkCidr("10.300.0.0/16")).toThrow(/octet above 255/);
  });

  test("redis needs the interface endpoints: the bridge's security group reaches AWS only through them", () => {
    const redis = JSON.stringify({
      host: "redis.internal.test",
      port: 6379,
      tls: true,
      container: "sec-an",
      authSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:redis-auth-AbCdEf",
    });
    expect(() => parseConfig(cfg({ redis, interfaceEndpoints: "false" }), "dev")).toThrow(
      /redis.*needs interfaceEndpoints: true/,
    );
    expect(parseConfig(cfg({ redis }), "dev").redis).toMatchObject({ host: "redis.internal.test" });
  });
});
