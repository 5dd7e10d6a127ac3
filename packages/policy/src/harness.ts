/**
 * Runs the policy rules over resources recorded by the Pulumi mock harness (`@sec-an/testing`
 * `resources()`), with no CLI and no network: each record becomes a `ResourceValidationArgs` and a
 * `PolicyResource`, every resource rule sees every resource, every stack rule sees the whole list.
 */
import type { Policies, PolicyResource, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { secAnPolicies, type Loose, type Props } from "./policies";

/** Structural subset of `@sec-an/testing`'s ResourceRecord (kept local so this package needs no test deps). */
export interface RecordedResource {
  type: string;
  name: string;
  inputs: Props;
  /** Mock outputs merged over inputs; preferred when present so cross-references (ARNs, names) resolve as after `up`. */
  state?: Props;
  /** The id the engine (or mock) gave it. */
  id?: string;
  parent?: { type: string; name: string };
}

export interface Violation {
  policy: string;
  type: string;
  name: string;
  message: string;
}

class NotApplicable extends Error {}

const urnOf = (r: RecordedResource) => `urn:pulumi:test::test::${r.type}::${r.name}`;
const typeMatcher = (type: string) => (cls: { new (...rest: Loose[]): Loose }) =>
  (cls as Loose).__pulumiType === type;

function toPolicyResource(r: RecordedResource): PolicyResource {
  // The id rides along (as on a real stack) so rules can match resources referred to by id, e.g. a
  // security group named in another group's rules.
  const props = { ...(r.state ?? r.inputs ?? {}), ...(r.id ? { id: r.id } : {}) };
  return {
    type: r.type,
    name: r.name,
    urn: urnOf(r),
    props,
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      additionalSecretOutputs: [],
      customTimeouts: {},
    } as Loose,
    dependencies: [],
    propertyDependencies: {},
    isType: typeMatcher(r.type),
    asType: ((cls: Loose) => (typeMatcher(r.type)(cls) ? props : undefined)) as Loose,
  };
}

const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason ?? "not applicable");
};

/** Swallow the "does not apply" signals of @pulumi/policy helpers (`validateResourceOfType` calls notApplicable). */
function isSkip(err: unknown): boolean {
  return (
    err instanceof NotApplicable ||
    (err instanceof Error && /only applies to resources of type/i.test(err.message))
  );
}

export async function checkResources(
  records: RecordedResource[],
  policies: Policies = secAnPolicies,
): Promise<Violation[]> {
  const resources = records.map(toPolicyResource);
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  // Link parents where the records know them (the mock harness records `{ parent: … }`).
  records.forEach((rec, i) => {
    const parent =
      rec.parent && resources.find((r) => r.type === rec.parent?.type && r.name === rec.parent?.name);
    if (parent) resources[i].parent = parent;
  });
  const violations: Violation[] = [];
  const stackTags = new Map<string, string>();

  for (const policy of policies) {
    if (policy.enforcementLevel === "disabled") continue;
    if ("validateResource" in policy && policy.validateResource) {
      const validators = Array.isArray(policy.validateResource)
        ? policy.validateResource
        : [policy.validateResource];
      for (const r of resources) {
        const args: ResourceValidationArgs = {
          type: r.type,
          props: r.props,
          urn: r.urn,
          name: r.name,
          opts: r.opts,
          stackTags,
          isType: r.isType,
          asType: r.asType as Loose,
          getConfig: <T extends object>() => ({}) as T,
          notApplicable,
        };
        for (const validate of validators) {
          try {
            await validate(args, (message) =>
              violations.push({ policy: policy.name, type: r.type, name: r.name, message }),
            );
          } catch (err) {
            if (!isSkip(err)) throw err;
          }
        }
      }
    }
    if ("validateStack" in policy && policy.validateStack) {
      const args: StackValidationArgs = {
        resources,
        stackTags,
        getConfig: <T extends object>() => ({}) as T,
        notApplicable,
      };
      try {
        await policy.validateStack(args, (message, urn) => {
          const r = urn ? byUrn.get(urn) : undefined;
          violations.push({ policy: policy.name, type: r?.type ?? "stack", name: r?.name ?? "", message });
        });
      } catch (err) {
        if (!isSkip(err)) throw err;
      }
    }
  }
  return violations;
}
