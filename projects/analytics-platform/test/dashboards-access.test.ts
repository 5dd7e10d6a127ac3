/* eslint-disable @typescript-eslint/no-explicit-any -- mock records are untyped JSON */
import { checkResources } from "@sec-an/policy";
import { childrenOf, resourceNamed, resources, runProgram } from "@sec-an/testing";
import { mockAnalyticsPlatform } from "./program-mocks";

mockAnalyticsPlatform();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runFromConfig } = require("../src/program") as typeof import("../src/program");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const access = require("../src/infra/dashboards-access") as typeof import("../src/infra/dashboards-access");

const HOST = "dev-sec-an-dashboards-tunnel";

describe("Dashboards tunnel host (the default way in)", () => {
  let out: any;
  beforeAll(async () => {
    out = await runProgram(() => runFromConfig("dev"));
  }, 180_000);

  test("a small private host: no public IP, no key pair, IMDSv2 only, encrypted root, latest AL2023 at launch", () => {
    const host = resourceNamed("aws:ec2/instance:Instance", HOST);
    expect(host.inputs).toMatchObject({
      instanceType: "t4g.nano",
      subnetId: "subnet-a",
      associatePublicIpAddress: false,
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      rootBlockDevice: { encrypted: true },
      vpcSecurityGroupIds: [`${HOST}-sg-id`],
      launchTemplate: { id: `${HOST}-template-id`, version: "$Default" },
    });
    expect(host.inputs.keyName).toBeUndefined();
    expect(resourceNamed("aws:ec2/launchTemplate:LaunchTemplate", `${HOST}-template`).inputs.imageId).toBe(
      "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
    );
  });

  test("its security group admits nothing, and it alone (with the analytics Lambdas and the search readers) reaches the domain", () => {
    const sg = resourceNamed("aws:ec2/securityGroup:SecurityGroup", `${HOST}-sg`).inputs;
    expect(sg.ingress).toEqual([]);
    expect(sg.egress).toEqual([
      { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS" },
    ]);
    expect(sg.tags["sec-an:domain-client"]).toBe("dashboards-tunnel");
    const domainSg = resourceNamed("aws:ec2/securityGroup:SecurityGroup", "dev-sec-an-search-sg").inputs;
    expect(domainSg.ingress.flatMap((r: any) => r.securityGroups)).toEqual([
      "dev-sec-an-analytics-lambdas-sg-id",
      `${HOST}-sg-id`,
      "dev-sec-an-search-readers-sg-id",
    ]);
  });

  test("the instance role lets the SSM agent connect, nothing else; only EC2 of this account assumes it", () => {
    const role = resourceNamed("aws:iam/role:Role", `${HOST}-role`);
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "ec2.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
    const policy = JSON.parse(
      resourceNamed("aws:iam/rolePolicy:RolePolicy", `${HOST}-ssm-agent`).inputs.policy,
    );
    expect(policy.Statement).toEqual([
      { Sid: "SsmAgent", Effect: "Allow", Action: [...access.SSM_AGENT_ACTIONS], Resource: "*" },
    ]);
    expect(access.SSM_AGENT_ACTIONS.every((a) => /^(ssm|ssmmessages|ec2messages):[A-Z]/.test(a))).toBe(true);
    expect(
      resources().filter(
        (r) =>
          r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && r.inputs.role === `${HOST}-role`,
      ),
    ).toEqual([]);
    expect(resourceNamed("aws:iam/instanceProfile:InstanceProfile", `${HOST}-profile`).inputs.role).toBe(
      `${HOST}-role`,
    );
  });

  test("publishes the instance id for `sec-an dashboards`", () => {
    expect(out.parameters.dashboardsTunnelInstanceId).toBe(`${HOST}-id`);
    expect(
      resourceNamed("aws:ssm/parameter:Parameter", "dev-sec-an-analytics-exports-dashboardsTunnelInstanceId")
        .inputs.name,
    ).toBe("/sec-an/dev/analytics/dashboards/tunnel_instance/id");
  });

  test("the host's resources hang under its component", () => {
    expect(
      childrenOf({ type: "sec-an:analytics:PrivateHost", name: HOST })
        .map((r) => r.type)
        .sort(),
    ).toEqual(
      [
        "aws:ec2/instance:Instance",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:iam/instanceProfile:InstanceProfile",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
      ].sort(),
    );
  });

  test("zero policy violations with the tunnel, the domain-reach rule seeing every security group by id", async () => {
    const withIds = resources().map((r) => ({ ...r, state: { ...r.state, id: r.id } }));
    expect(await checkResources(withIds)).toEqual([]);
    // The same rule set fails the program once the Lambdas' group loses its client tag.
    const untagged = withIds.map((r) =>
      r.name === "dev-sec-an-analytics-lambdas-sg" ? { ...r, state: { ...r.state, tags: {} } } : r,
    );
    expect((await checkResources(untagged)).map((v) => v.policy)).toEqual(["opensearch-domain-reach"]);
  });
});
