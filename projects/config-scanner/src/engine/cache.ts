import { Type, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { Cache, NetworkInterface, SecurityGroup } from "./types";

/** Input that is not AWS-shaped resource data; the message says what was expected and where it went wrong. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

export function cacheFromDescribe(
  region: string,
  sgs: { SecurityGroups?: SecurityGroup[] },
  enis?: { NetworkInterfaces?: NetworkInterface[] },
  account?: string,
): Cache {
  return {
    ec2: {
      describeSecurityGroups: { [region]: { data: sgs.SecurityGroups ?? [] } },
      ...(enis ? { describeNetworkInterfaces: { [region]: { data: enis.NetworkInterfaces ?? [] } } } : {}),
    },
    ...(account ? { account } : {}),
  };
}

// The fields the plugins read, in the API's own (PascalCase) shape; anything else passes through.
const Port = Type.Integer({ minimum: -1, maximum: 65535 });
const Permission = Type.Object({
  IpProtocol: Type.String(),
  FromPort: Type.Optional(Port),
  ToPort: Type.Optional(Port),
  IpRanges: Type.Optional(Type.Array(Type.Object({ CidrIp: Type.String() }))),
  Ipv6Ranges: Type.Optional(Type.Array(Type.Object({ CidrIpv6: Type.String() }))),
  PrefixListIds: Type.Optional(Type.Array(Type.Object({ PrefixListId: Type.String() }))),
  UserIdGroupPairs: Type.Optional(Type.Array(Type.Object({}))),
});
const Group = Type.Object({
  GroupId: Type.String({ pattern: "^sg-[0-9a-zA-Z]+$" }),
  GroupName: Type.Optional(Type.String()),
  OwnerId: Type.Optional(Type.String()),
  VpcId: Type.Optional(Type.String()),
  IpPermissions: Type.Optional(Type.Array(Permission)),
  IpPermissionsEgress: Type.Optional(Type.Array(Permission)),
});
const Interface = Type.Object({
  NetworkInterfaceId: Type.Optional(Type.String()),
  Groups: Type.Optional(Type.Array(Type.Object({ GroupId: Type.Optional(Type.String()) }))),
});
const Groups = Type.Array(Group);
const Interfaces = Type.Array(Interface);

function check<T>(schema: TSchema, value: unknown, where: string): T {
  if (Value.Check(schema, value)) return value as T;
  const e = Value.Errors(schema, value).First();
  throw new InputError(`${where}${e?.path ?? ""}: ${e?.message ?? "invalid"}`);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A cache from what `aws ec2 describe-security-groups` prints (`{"SecurityGroups": [...]}`, optionally
 * with the `NetworkInterfaces` of describe-network-interfaces beside it), for one region; or a
 * CloudSploit-style cache, which must hold every requested region.
 */
export function cacheFromInput(input: unknown, regions: string[], account?: string): Cache {
  if (!regions.length) throw new InputError("a region is required");
  if (!isObject(input)) {
    throw new InputError(
      'expected a JSON object: {"SecurityGroups": [...]} or a cache {"ec2": {"describeSecurityGroups": {...}}}',
    );
  }
  if ("SecurityGroups" in input) {
    if (regions.length > 1) {
      throw new InputError(
        `describe-security-groups output belongs to one region; got ${regions.length} (${regions.join(", ")})`,
      );
    }
    const sgs = check<SecurityGroup[]>(Groups, input.SecurityGroups, "SecurityGroups");
    const enis =
      "NetworkInterfaces" in input
        ? check<NetworkInterface[]>(Interfaces, input.NetworkInterfaces, "NetworkInterfaces")
        : undefined;
    return cacheFromDescribe(
      regions[0],
      { SecurityGroups: sgs },
      enis && { NetworkInterfaces: enis },
      account,
    );
  }
  const ec2 = input.ec2;
  if (isObject(ec2) && isObject(ec2.describeSecurityGroups)) {
    const bySg = ec2.describeSecurityGroups;
    const byEni = isObject(ec2.describeNetworkInterfaces) ? ec2.describeNetworkInterfaces : {};
    for (const region of regions) {
      const entry = bySg[region];
      if (!isObject(entry)) {
        throw new InputError(
          `the cache has no ec2.describeSecurityGroups for ${region} (it has: ${Object.keys(bySg).join(", ") || "none"})`,
        );
      }
      if (entry.data !== undefined) check(Groups, entry.data, `ec2.describeSecurityGroups.${region}.data`);
      const eni = byEni[region];
      if (isObject(eni) && eni.data !== undefined)
        check(Interfaces, eni.data, `ec2.describeNetworkInterfaces.${region}.data`);
    }
    const cacheAccount = typeof input.account === "string" ? input.account : undefined;
    return {
      ...(input as unknown as Cache),
      ...((account ?? cacheAccount) ? { account: account ?? cacheAccount } : {}),
    };
  }
  throw new InputError(
    'expected {"SecurityGroups": [...]} (aws ec2 describe-security-groups output) or a CloudSploit cache {"ec2": {"describeSecurityGroups": {"<region>": {"data": [...]}}}}',
  );
}
