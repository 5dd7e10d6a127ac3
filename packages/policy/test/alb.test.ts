import { r, violationsOf } from "./fixtures";

const LB = "aws:lb/loadBalancer:LoadBalancer";
const LISTENER = "aws:lb/listener:Listener";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
const lbArn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/dash/1";
const authenticate = { type: "authenticate-cognito", order: 1, authenticateCognito: { userPoolArn: "p" } };
const forward = { type: "forward", order: 2, targetGroupArn: "tg" };

describe("alb-listener-https", () => {
  const P = "alb-listener-https";
  test("passes HTTPS with a TLS 1.3 policy and an HTTP listener that only redirects", async () => {
    expect(
      await violationsOf(P, [
        r(LISTENER, "https", {
          protocol: "HTTPS",
          sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
          certificateArn: CERT,
        }),
        r(LISTENER, "http", {
          protocol: "HTTP",
          defaultActions: [
            { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
          ],
        }),
      ]),
    ).toEqual([]);
  });
  test("catches an old TLS policy, a missing certificate, and plain HTTP that forwards", async () => {
    expect(
      await violationsOf(P, [
        r(LISTENER, "old", {
          protocol: "HTTPS",
          sslPolicy: "ELBSecurityPolicy-2016-08",
          certificateArn: CERT,
        }),
        r(LISTENER, "nocert", { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" }),
        r(LISTENER, "plain", { protocol: "HTTP", defaultActions: [forward] }),
      ]),
    ).toEqual([
      "old: sslPolicy must be a TLS 1.3 policy such as ELBSecurityPolicy-TLS13-1-2-2021-06 (has ELBSecurityPolicy-2016-08)",
      "nocert: an HTTPS listener needs certificateArn",
      "plain: a HTTP listener may only redirect to HTTPS (its default actions do more)",
    ]);
  });
});

describe("alb-internet-facing-authenticated", () => {
  const P = "alb-internet-facing-authenticated";
  const lb = (props: Record<string, unknown>) => r(LB, "dash", { arn: lbArn, internal: false, ...props });
  const logs = { accessLogs: { enabled: true, bucket: "logs" }, dropInvalidHeaderFields: true };
  const listener = (actions: unknown[]) =>
    r(LISTENER, "l443", { loadBalancerArn: lbArn, protocol: "HTTPS", defaultActions: actions });

  test("passes a logged load balancer that authenticates before forwarding; internal ones are not its business", async () => {
    expect(await violationsOf(P, [lb(logs), listener([forward, authenticate])])).toEqual([]);
    expect(
      await violationsOf(P, [
        r(LB, "inside", { arn: "x", internal: true }),
        r(LISTENER, "l", { loadBalancerArn: "x", defaultActions: [forward] }),
      ]),
    ).toEqual([]);
  });

  test("catches forwarding unauthenticated (listener and listener rule), missing access logs and header hygiene", async () => {
    expect(
      await violationsOf(
        P,
        [
          lb({}),
          listener([forward]),
          r("aws:lb/listenerRule:ListenerRule", "rule", {
            listenerArn: "l443-arn",
            actions: [
              { ...forward, order: 1 },
              { ...authenticate, order: 2 },
            ],
          }),
        ].map((x) => (x.name === "l443" ? { ...x, inputs: { ...x.inputs, arn: "l443-arn" } } : x)),
      ),
    ).toEqual([
      "dash: load balancer dash needs accessLogs enabled to a bucket",
      "dash: load balancer dash must set dropInvalidHeaderFields",
      "l443: listener l443 of internet-facing dash forwards without authenticating first",
      "rule: listener rule rule of internet-facing dash forwards without authenticating first",
    ]);
  });
});

describe("opensearch-domain-reach", () => {
  const P = "opensearch-domain-reach";
  const domain = r("aws:opensearch/domain:Domain", "search", {
    vpcOptions: { securityGroupIds: ["sg-domain"] },
  });
  const client = (name: string, id: string, role?: string, ingress: unknown[] = []) =>
    r(SG, name, { id, ingress, ...(role ? { tags: { "sec-an:domain-client": role } } : {}) });
  const domainSg = (ingress: unknown[]) => r(SG, "search-sg", { id: "sg-domain", ingress });

  test("passes a domain reached only by tagged clients (lambdas, tunnel)", async () => {
    expect(
      await violationsOf(P, [
        domain,
        domainSg([{ protocol: "tcp", fromPort: 443, toPort: 443, securityGroups: ["sg-l", "sg-t"] }]),
        client("lambdas", "sg-l", "analytics-lambdas"),
        client("tunnel", "sg-t", "dashboards-tunnel"),
      ]),
    ).toEqual([]);
  });

  test("the security group is found by its ARN when the engine gives no id", async () => {
    const arnOnly = r(SG, "lambdas", { arn: "arn:aws:ec2:us-east-1:1:security-group/sg-l" });
    expect(await violationsOf(P, [domain, domainSg([{ securityGroups: ["sg-l"] }]), arnOnly])).toEqual([
      "search-sg: domain security group search-sg admits lambdas, which is not tagged sec-an:domain-client with an admitted role",
    ]);
  });

  test("catches address ranges, self, untagged or foreign groups, extra rules, and a tunnel that admits anything", async () => {
    expect(
      await violationsOf(P, [
        domain,
        domainSg([
          { fromPort: 443, toPort: 443, cidrBlocks: ["10.0.0.0/16"] },
          { fromPort: 443, toPort: 443, self: true },
          { fromPort: 443, toPort: 443, securityGroups: ["sg-x", "sg-other-stack"] },
        ]),
        client("random", "sg-x"),
        client("tunnel", "sg-t", "dashboards-tunnel", [
          { fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] },
        ]),
        r("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "extra", {
          securityGroupId: "sg-domain",
          cidrIpv4: "0.0.0.0/0",
        }),
      ]),
    ).toEqual([
      "search-sg: domain security group search-sg admits address ranges (10.0.0.0/16): only client security groups may reach a domain",
      "search-sg: domain security group search-sg admits its own members (self)",
      "search-sg: domain security group search-sg admits random, which is not tagged sec-an:domain-client with an admitted role",
      "search-sg: domain security group search-sg admits sg-other-stack, which is not a security group of this stack",
      "extra: rule extra admits address ranges (0.0.0.0/0): only client security groups may reach a domain",
      "tunnel: tunnel host security group tunnel must admit nothing (Session Manager needs no inbound rule)",
    ]);
  });
});

describe("ec2-instance-hardened", () => {
  const P = "ec2-instance-hardened";
  test("passes IMDSv2, encrypted root, no public IP, no key", async () => {
    expect(
      await violationsOf(P, [
        r("aws:ec2/instance:Instance", "host", {
          metadataOptions: { httpTokens: "required" },
          rootBlockDevice: { encrypted: true },
          associatePublicIpAddress: false,
        }),
      ]),
    ).toEqual([]);
  });
  test("catches each weakness", async () => {
    expect(
      await violationsOf(P, [
        r("aws:ec2/instance:Instance", "host", { keyName: "k", metadataOptions: { httpTokens: "optional" } }),
      ]),
    ).toEqual([
      "host: metadataOptions.httpTokens must be required (IMDSv2)",
      "host: rootBlockDevice.encrypted must be true",
      "host: associatePublicIpAddress must be false",
      "host: no key pair: reach the host through Session Manager",
    ]);
  });
});
