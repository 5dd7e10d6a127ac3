import { asArray, resourceRule, type Loose } from "./util";

const TLS_POLICY = /^Policy-Min-TLS-1-[23]-/;

export const opensearchDomainHardened = resourceRule(
  "opensearch-domain-hardened",
  "OpenSearch domains encrypt at rest and node-to-node, enforce HTTPS with TLS 1.2+, enable fine-grained access control and publish audit logs.",
  ["aws:opensearch/domain:Domain", "aws:elasticsearch/domain:Domain"],
  (p, report) => {
    if (p.encryptAtRest?.enabled !== true) report("encryptAtRest.enabled must be true");
    if (p.nodeToNodeEncryption?.enabled !== true) report("nodeToNodeEncryption.enabled must be true");
    const ep = p.domainEndpointOptions ?? {};
    if (ep.enforceHttps !== true) report("domainEndpointOptions.enforceHttps must be true");
    if (!TLS_POLICY.test(ep.tlsSecurityPolicy ?? ""))
      report(
        `domainEndpointOptions.tlsSecurityPolicy must be Policy-Min-TLS-1-2-* or 1-3-* (has ${ep.tlsSecurityPolicy ?? "default"})`,
      );
    if (p.advancedSecurityOptions?.enabled !== true)
      report("advancedSecurityOptions.enabled (fine-grained access control) must be true");
    const audit = asArray(p.logPublishingOptions).some(
      (o: Loose) => o?.logType === "AUDIT_LOGS" && o.enabled !== false && o.cloudwatchLogGroupArn,
    );
    if (!audit) report("logPublishingOptions must publish AUDIT_LOGS to a CloudWatch log group");
  },
  "critical",
);
