/** The Pulumi projects of the platform, each deployed as its own stack. */
export const PROJECTS = [
  "shared-code",
  "shared-infra",
  "analytics-platform",
  "task-execution",
  "nmap",
  "ssl",
] as const;
export type ProjectName = (typeof PROJECTS)[number];

/** Default application name: the first segment of every SSM parameter and resource name. */
export const DEFAULT_APP = "sec-an";

/** Where a deployment lives: `/${app}/${stage}` prefixes every SSM parameter. */
export interface Deployment {
  readonly app: string;
  readonly stage: string;
}

/** Physical resource name prefix, `${stage}-${app}` as the original platform named resources. */
export function resourcePrefix(d: Deployment): string {
  return `${d.stage}-${d.app}`;
}
