import { ofType, resourceRule, stackRule } from "./util";

const FUNCTION = "aws:lambda/function:Function";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
export const ALLOWED_RUNTIMES = ["nodejs22.x", "nodejs24.x"];

export const lambdaRuntimeAllowed = resourceRule(
  "lambda-runtime-allowed",
  `Lambda functions use a supported runtime (${ALLOWED_RUNTIMES.join(", ")}).`,
  [FUNCTION],
  (p, report) => {
    if (p.packageType === "Image") return; // container images carry their own runtime
    if (!ALLOWED_RUNTIMES.includes(p.runtime))
      report(`runtime ${p.runtime ?? "(unset)"} is not allowed; use one of ${ALLOWED_RUNTIMES.join(", ")}`);
  },
);

export const lambdaTracingActive = resourceRule(
  "lambda-tracing-active",
  "Lambda functions have X-Ray tracing in Active mode.",
  [FUNCTION],
  (p, report) => {
    if (p.tracingConfig?.mode !== "Active") report('set tracingConfig: { mode: "Active" }');
  },
  "medium",
);

/** Names that look like they hold a secret, unless they only name where the secret lives. */
const SECRET_NAME = /(secret|passw(or)?d|pwd|token|api[_-]?key|private[_-]?key|credential|access[_-]?key)/i;
const REFERENCE_SUFFIX = /(_|-)(arn|name|param|parameter|path|ssm|id)$/i;
const SECRET_VALUE = [
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/, // AWS access key id
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bgh[pousr]_[A-Za-z0-9]{36,}\b/, // GitHub token
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/, // Slack token
  /:\/\/[^/\s:@]+:[^/\s@]+@/, // credentials in a URL
];

export const lambdaNoSecretEnv = resourceRule(
  "lambda-no-secrets-in-environment",
  "Lambda environment variables carry no secrets (read them from SSM/Secrets Manager at run time).",
  [FUNCTION],
  (p, report) => {
    for (const [k, v] of Object.entries<unknown>(p.environment?.variables ?? {})) {
      if (SECRET_NAME.test(k) && !REFERENCE_SUFFIX.test(k))
        report(`environment variable ${k} looks like a secret`);
      else if (typeof v === "string" && SECRET_VALUE.some((re) => re.test(v)))
        report(`environment variable ${k} holds a secret-looking value`);
    }
  },
  "critical",
);

export const lambdaLogGroupRetention = stackRule(
  "lambda-log-group-retention",
  "Each Lambda function has its log group in the stack with retentionInDays set.",
  (resources, report) => {
    const groups = ofType(resources, LOG_GROUP);
    for (const fn of ofType(resources, FUNCTION)) {
      const wanted = [
        fn.props.loggingConfig?.logGroup,
        fn.props.name ? `/aws/lambda/${fn.props.name}` : undefined,
      ].filter(Boolean);
      const group = groups.find(
        (g) =>
          wanted.includes(g.props.name) ||
          (fn.propertyDependencies?.loggingConfig ?? []).some((d) => d.urn === g.urn),
      );
      if (!group)
        report(
          `function ${fn.name} has no log group (/aws/lambda/<name> or loggingConfig.logGroup) in the stack`,
          fn.urn,
        );
      else if (!(group.props.retentionInDays > 0))
        report(`log group ${group.name} of ${fn.name} has no retentionInDays`, group.urn);
    }
  },
  "medium",
);
