import { asArray, isAllow, resourceRule, statements, type Loose } from "./util";

/** Policies carried by `policy` on these types; `aws:iam/role:Role` carries them in `inlinePolicies[].policy`. */
const POLICY_TYPES = [
  "aws:iam/policy:Policy",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/userPolicy:UserPolicy",
  "aws:iam/groupPolicy:GroupPolicy",
  "aws:iam/role:Role",
];

export const iamNoWildcardActionOnAnyResource = resourceRule(
  "iam-no-wildcard-action-on-any-resource",
  'IAM policies never allow a wildcard action (`*`, `sqs:*`, `s3:Get*`) or NotAction on Resource "*".',
  POLICY_TYPES,
  (p, report, args) => {
    const docs =
      args.type === "aws:iam/role:Role"
        ? asArray(p.inlinePolicies).map((ip: Loose) => ip?.policy)
        : [p.policy];
    for (const doc of docs) {
      for (const s of statements(doc)) {
        if (!isAllow(s) || !asArray(s.Resource).includes("*")) continue;
        const wild = asArray(s.Action).filter((a) => a.includes("*"));
        if (wild.length) report(`allows wildcard action(s) ${wild.join(", ")} on Resource "*"`);
        if (s.NotAction !== undefined) report('allows NotAction on Resource "*"');
      }
    }
  },
  "critical",
);
