/**
 * What counts as a secret in an environment variable: one definition, used by the LambdaFunction
 * component (fails at construction, naming the variable) and by the policy rule
 * `lambda-no-secrets-in-environment`. A name that only says where a secret lives (`*_ARN`, `*_PARAM`, …)
 * is fine.
 */
const SECRET_NAME = /(secret|passw(or)?d|pwd|token|api[_-]?key|private[_-]?key|credential|access[_-]?key)/i;
const REFERENCE_SUFFIX = /(_|-)(arn|name|param|parameter|path|ssm|id)$/i;
const SECRET_VALUE = [
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/, // AWS access key id
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bgh[pousr]_[A-Za-z0-9]{36,}\b/, // GitHub token
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/, // Slack token
  /:\/\/[^/\s:@]+:[^/\s@]+@/, // credentials in a URL
];

/** Why an environment variable looks like it carries a secret, or undefined when it does not. */
export function secretEnvProblem(name: string, value: unknown): "name" | "value" | undefined {
  if (SECRET_NAME.test(name) && !REFERENCE_SUFFIX.test(name)) return "name";
  if (typeof value === "string" && SECRET_VALUE.some((re) => re.test(value))) return "value";
  return undefined;
}
