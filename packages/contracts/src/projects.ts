/**
 * The name of a Pulumi project of the platform (its folder under projects/). Open: the projects are
 * whatever the workspace registers (see `@sec-an/contracts/registry`), so a new scanner needs no edit here.
 */
export type ProjectName = string;

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
