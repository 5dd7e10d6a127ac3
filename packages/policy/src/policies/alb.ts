import type { PolicyResource } from "@pulumi/policy";
import { asArray, ofType, refersTo, resourceRule, stackRule, type Loose } from "./util";

const LISTENERS = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];
const LISTENER_RULES = ["aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"];
const LOAD_BALANCERS = ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"];
const DOMAINS = ["aws:opensearch/domain:Domain", "aws:elasticsearch/domain:Domain"];
const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";

/** TLS 1.2 and 1.3 only, forward-secret ciphers (the ELB policies AWS recommends since 2023). */
export const MODERN_TLS_POLICY = /^ELBSecurityPolicy-TLS13-1-[23]-(Res-|Ext[12]-)?(FIPS-)?20\d\d-\d\d$/;

/** Tag naming why a security group may reach an OpenSearch domain, and the roles admitted. */
export const DOMAIN_CLIENT_TAG = "sec-an:domain-client";
export const DOMAIN_CLIENT_ROLES = [
  "analytics-lambdas",
  "dashboards-tunnel",
  "dashboards-proxy",
  "search-readers",
] as const;

const isRedirectToHttps = (actions: Loose[]) =>
  actions.length > 0 &&
  actions.every(
    (a: Loose) => a?.type === "redirect" && String(a.redirect?.protocol).toUpperCase() === "HTTPS",
  );

export const albListenerHttps = resourceRule(
  "alb-listener-https",
  "Load-balancer listeners serve HTTPS with a TLS 1.2+/1.3 policy; plain HTTP may only redirect to HTTPS.",
  LISTENERS,
  (p, report) => {
    const protocol = String(p.protocol ?? "HTTP").toUpperCase();
    if (protocol === "HTTPS" || protocol === "TLS") {
      if (!MODERN_TLS_POLICY.test(p.sslPolicy ?? ""))
        report(
          `sslPolicy must be a TLS 1.3 policy such as ELBSecurityPolicy-TLS13-1-2-2021-06 (has ${p.sslPolicy ?? "default"})`,
        );
      if (!p.certificateArn) report("an HTTPS listener needs certificateArn");
      return;
    }
    if (!isRedirectToHttps(asArray(p.defaultActions)))
      report(`a ${protocol} listener may only redirect to HTTPS (its default actions do more)`);
  },
  "critical",
);

/** True when every forward in `actions` comes after an authenticate-cognito/oidc action. */
function authenticatesBeforeForward(actions: Loose[]): boolean {
  const sorted = [...actions].sort((a: Loose, b: Loose) => (a?.order ?? 0) - (b?.order ?? 0));
  let authenticated = false;
  for (const a of sorted) {
    if (a?.type === "authenticate-cognito" || a?.type === "authenticate-oidc") authenticated = true;
    if (a?.type === "forward" && !authenticated) return false;
  }
  return true;
}

export const albPublicAuthenticated = stackRule(
  "alb-internet-facing-authenticated",
  "Internet-facing application load balancers write access logs, drop invalid headers, and authenticate (Cognito or OIDC) before any forward.",
  (resources, report) => {
    for (const lb of ofType(resources, ...LOAD_BALANCERS)) {
      if (lb.props.internal === true || (lb.props.loadBalancerType ?? "application") !== "application")
        continue;
      const logs = lb.props.accessLogs;
      if (logs?.enabled !== true || !logs.bucket)
        report(`load balancer ${lb.name} needs accessLogs enabled to a bucket`, lb.urn);
      if (lb.props.dropInvalidHeaderFields !== true)
        report(`load balancer ${lb.name} must set dropInvalidHeaderFields`, lb.urn);
      const listeners = ofType(resources, ...LISTENERS).filter((l) =>
        refersTo(l, "loadBalancerArn", lb, [lb.props.arn]),
      );
      for (const l of listeners) {
        if (!authenticatesBeforeForward(asArray(l.props.defaultActions)))
          report(
            `listener ${l.name} of internet-facing ${lb.name} forwards without authenticating first`,
            l.urn,
          );
        const rules = ofType(resources, ...LISTENER_RULES).filter((r) =>
          refersTo(r, "listenerArn", l, [l.props.arn]),
        );
        for (const r of rules)
          if (!authenticatesBeforeForward(asArray(r.props.actions)))
            report(
              `listener rule ${r.name} of internet-facing ${lb.name} forwards without authenticating first`,
              r.urn,
            );
      }
    }
  },
  "critical",
);

/** A security group's id: its `id` when the engine gives one, else the last part of its ARN (`…:security-group/sg-…`). */
const sgId = (sg: PolicyResource): string | undefined =>
  (sg.props.id as string | undefined) ??
  (typeof sg.props.arn === "string" ? sg.props.arn.split("/").pop() : undefined);

/**
 * Only the platform's own clients reach a domain: every inbound rule of a domain's security group names
 * a security group of this stack tagged with an admitted role (never an address range or itself), and
 * a tunnel host's group admits nothing. Security groups the engine cannot identify yet are skipped.
 */
export const domainReachLimited = stackRule(
  "opensearch-domain-reach",
  `OpenSearch domains admit only security groups tagged ${DOMAIN_CLIENT_TAG} (${DOMAIN_CLIENT_ROLES.join(", ")}); tunnel hosts admit nothing.`,
  (resources, report) => {
    const groups = ofType(resources, SECURITY_GROUP);
    const byId = new Map(groups.flatMap((g) => (sgId(g) ? [[sgId(g)!, g] as const] : [])));
    const domainSgIds = new Set(
      ofType(resources, ...DOMAINS).flatMap((dm) => asArray<string>(dm.props.vpcOptions?.securityGroupIds)),
    );
    const checkSource = (
      where: string,
      urn: string,
      source: string | undefined,
      cidrs: unknown[],
      self?: boolean,
    ) => {
      if (cidrs.length)
        report(
          `${where} admits address ranges (${cidrs.join(", ")}): only client security groups may reach a domain`,
          urn,
        );
      if (self) report(`${where} admits its own members (self)`, urn);
      if (source === undefined) return;
      const g = byId.get(source);
      const role = g?.props.tags?.[DOMAIN_CLIENT_TAG];
      if (!g) report(`${where} admits ${source}, which is not a security group of this stack`, urn);
      else if (!(DOMAIN_CLIENT_ROLES as readonly string[]).includes(role))
        report(
          `${where} admits ${g.name}, which is not tagged ${DOMAIN_CLIENT_TAG} with an admitted role`,
          urn,
        );
    };
    for (const id of domainSgIds) {
      const sg = byId.get(id);
      if (!sg) continue;
      for (const rule of asArray<Loose>(sg.props.ingress)) {
        const sources = asArray<string>(rule?.securityGroups);
        const cidrs = [
          ...asArray(rule?.cidrBlocks),
          ...asArray(rule?.ipv6CidrBlocks),
          ...asArray(rule?.prefixListIds),
        ];
        checkSource(`domain security group ${sg.name}`, sg.urn, undefined, cidrs, rule?.self === true);
        for (const s of sources) checkSource(`domain security group ${sg.name}`, sg.urn, s, []);
      }
    }
    // Rules added to a domain's group as resources of their own.
    for (const r of ofType(
      resources,
      "aws:ec2/securityGroupRule:SecurityGroupRule",
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    )) {
      if (!domainSgIds.has(r.props.securityGroupId) || (r.props.type && r.props.type !== "ingress")) continue;
      const cidrs = [
        ...asArray(r.props.cidrBlocks),
        ...asArray(r.props.ipv6CidrBlocks),
        ...asArray(r.props.cidrIpv4),
        ...asArray(r.props.cidrIpv6),
        ...asArray(r.props.prefixListIds),
        ...asArray(r.props.prefixListId),
      ];
      checkSource(
        `rule ${r.name}`,
        r.urn,
        r.props.sourceSecurityGroupId ?? r.props.referencedSecurityGroupId,
        cidrs,
        r.props.self === true,
      );
    }
    for (const g of groups)
      if (g.props.tags?.[DOMAIN_CLIENT_TAG] === "dashboards-tunnel" && asArray(g.props.ingress).length > 0)
        report(
          `tunnel host security group ${g.name} must admit nothing (Session Manager needs no inbound rule)`,
          g.urn,
        );
  },
  "critical",
);

export const ec2InstanceHardened = resourceRule(
  "ec2-instance-hardened",
  "EC2 instances require IMDSv2, encrypt their root volume, take no public IP and no key pair (Session Manager instead).",
  ["aws:ec2/instance:Instance"],
  (p, report) => {
    if (p.metadataOptions?.httpTokens !== "required")
      report("metadataOptions.httpTokens must be required (IMDSv2)");
    if (p.rootBlockDevice?.encrypted !== true) report("rootBlockDevice.encrypted must be true");
    if (p.associatePublicIpAddress !== false) report("associatePublicIpAddress must be false");
    if (p.keyName) report("no key pair: reach the host through Session Manager");
  },
  "high",
);
