import { secretEnvProblem } from "@sec-an/contracts";
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

export const lambdaNoSecretEnv = resourceRule(
  "lambda-no-secrets-in-environment",
  "Lambda environment variables carry no secrets (read them from SSM/Secrets Manager at run time).",
  [FUNCTION],
  (p, report) => {
    for (const [k, v] of Object.entries<unknown>(p.environment?.variables ?? {})) {
      const problem = secretEnvProblem(k, v);
      if (problem === "name") report(`environment variable ${k} looks like a secret`);
      else if (problem === "value") report(`environment variable ${k} holds a secret-looking value`);
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
