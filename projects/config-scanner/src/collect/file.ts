import { EC2Client, type NetworkInterface, type SecurityGroup } from "@aws-sdk/client-ec2";
import type { Ec2For } from "./ec2";

/**
 * EC2 answered from a file instead of AWS (`sec-an local --resources`): the describe-security-groups
 * output, optionally with the describe-network-interfaces output beside it, served through a real SDK
 * client whose first middleware answers Describe calls, filtered by group id as EC2 filters them.
 */
export interface DescribeFile {
  SecurityGroups: SecurityGroup[];
  NetworkInterfaces?: NetworkInterface[];
  /** True when the file gave no interfaces and each group was taken as attached to one. */
  assumedAttached?: boolean;
}

/** Checks a parsed file; throws naming what is wrong. */
export function describeFile(value: unknown): DescribeFile {
  const v = value as Partial<DescribeFile> | null;
  if (typeof v !== "object" || v === null || !Array.isArray(v.SecurityGroups))
    throw new Error('expected the output of `aws ec2 describe-security-groups`: {"SecurityGroups": [...]}');
  if (v.NetworkInterfaces !== undefined && !Array.isArray(v.NetworkInterfaces))
    throw new Error('"NetworkInterfaces", when given, must be a list (describe-network-interfaces output)');
  if (v.NetworkInterfaces)
    return { SecurityGroups: v.SecurityGroups, NetworkInterfaces: v.NetworkInterfaces };
  // No interface data is not "attached to nothing": an open group is taken as in use (FAIL, alerted),
  // since under-reporting an exposure is the worse mistake; the report says it was assumed.
  return {
    SecurityGroups: v.SecurityGroups,
    NetworkInterfaces: v.SecurityGroups.flatMap((g) =>
      g.GroupId ? [{ NetworkInterfaceId: `eni-assumed-${g.GroupId}`, Groups: [{ GroupId: g.GroupId }] }] : [],
    ),
    assumedAttached: true,
  };
}

type Filters = { Filters?: { Name?: string; Values?: string[] }[] };
const groupIds = (input: Filters) => input.Filters?.find((f) => f.Name === "group-id")?.Values;

function answer(file: DescribeFile, command: string, input: Filters): Record<string, unknown> {
  const want = groupIds(input);
  if (command === "DescribeSecurityGroupsCommand")
    return { SecurityGroups: file.SecurityGroups.filter((g) => !want || want.includes(g.GroupId ?? "")) };
  if (command === "DescribeNetworkInterfacesCommand")
    return {
      NetworkInterfaces: (file.NetworkInterfaces ?? []).filter(
        (n) => !want || (n.Groups ?? []).some((g) => want.includes(g.GroupId ?? "")),
      ),
    };
  throw new Error(`${command} is not answered from the resources file`);
}

export function ec2FromDescribe(file: DescribeFile): Ec2For {
  return (region) => {
    const client = new EC2Client({ region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    client.middlewareStack.add(
      (_next, context) => async (args) => ({
        output: { ...answer(file, String(context.commandName), args.input as Filters), $metadata: {} },
        response: {},
      }),
      { step: "initialize", name: "answerFromDescribeFile" },
    );
    return client;
  };
}
