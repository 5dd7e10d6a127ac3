import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_APP, resourcePrefix } from "@sec-an/contracts";

/**
 * Whether a new project may take a name. The name becomes a folder, a task, SSM paths, index names and
 * physical AWS names (`${stage}-${app}-${name}-…`), so it must be DNS-safe, free, and short enough that
 * every name the components derive from it fits AWS's limits.
 */
export class NameError extends Error {
  override name = "NameError";
}

/** Stages whose names are checked: the stack files the generator writes (dev, local). */
export const CHECKED_STAGES = ["dev", "local"] as const;
/** The longest region name AWS has (e.g. ap-southeast-2) and an account id: both are in bucket names. */
const LONGEST_REGION = "ap-southeast-2";
const ACCOUNT = "123456789012";

export interface DerivedName {
  readonly what: string;
  readonly name: string;
  readonly limit: number;
}

/**
 * The longest physical names the Task/EcsTask components derive from a task name: the results bucket
 * (S3, 63), the parser's and the queue's dead-letter recorder functions, named after their components
 * (Lambda, 64), and the parser dead-letter queue (SQS, 80). IAM roles are auto-named, and Pulumi cuts
 * auto-names to the limit, so they never fail.
 */
export function derivedNames(task: string, stage: string, app: string = DEFAULT_APP): DerivedName[] {
  const base = `${resourcePrefix({ app, stage })}-${task}`;
  return [
    { what: "results bucket (S3)", name: `${base}-results-${ACCOUNT}-${LONGEST_REGION}`, limit: 63 },
    { what: "parser dead-letter recorder (Lambda)", name: `${base}-parser-dlq-recorder`, limit: 64 },
    { what: "task-queue dead-letter recorder (Lambda)", name: `${base}-queue-dlq-recorder`, limit: 64 },
    { what: "results parser (Lambda)", name: `${base}-results-parser`, limit: 64 },
    { what: "parser dead-letter queue (SQS)", name: `${base}-results-parser-dlq`, limit: 80 },
  ];
}

/** The longest name that fits every derived name for every checked stage. */
export function maxNameLength(): number {
  let n = 31; // task SSM paths and index names allow at most 31 characters
  for (const stage of CHECKED_STAGES)
    for (const d of derivedNames("", stage)) n = Math.min(n, d.limit - d.name.length);
  return n;
}

export interface NameCheck {
  /** What kind of project the name is for, in messages ("scanner"). */
  readonly kind: string;
  readonly root: string;
  /** Names taken by the platform or the CLI, with why. */
  readonly reserved: ReadonlyMap<string, string>;
  /** Project names already registered. */
  readonly existing: readonly string[];
}

/** Throws a NameError saying what is wrong and what would do; returns the name when it may be used. */
export function checkProjectName(name: string, c: NameCheck): string {
  const usage = `a ${c.kind} name is lower-case letters, digits and single hyphens, starting with a letter`;
  if (!/^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/.test(name))
    throw new NameError(`${JSON.stringify(name)} is not DNS-safe: ${usage} (e.g. "probe-x")`);
  const why = c.reserved.get(name);
  if (why) throw new NameError(`"${name}" is reserved: ${why}`);
  if (
    c.existing.includes(name) ||
    existsSync(join(c.root, "projects", name)) ||
    existsSync(join(c.root, "stacks", name))
  )
    throw new NameError(`"${name}" already exists (projects/${name} or stacks/${name}): pick another name`);
  const max = maxNameLength();
  for (const stage of CHECKED_STAGES)
    for (const d of derivedNames(name, stage))
      if (d.name.length > d.limit)
        throw new NameError(
          `"${name}" is too long: the ${d.what} of stage ${stage} would be ${d.name} (${d.name.length} characters, over ${d.limit}); use at most ${max} characters`,
        );
  return name;
}
