import type { EC2Client, Filter, NetworkInterface, SecurityGroup } from "@aws-sdk/client-ec2";
import { ConfigScannerEnv } from "@sec-an/contracts";
import { PermanentFailure } from "@sec-an/runtime";

/**
 * Live state of security groups: the groups themselves and the network interfaces they are attached
 * to, described in the event's region and account. Read-only calls, paginated.
 */

/** What one evaluation read: groups by id (missing ids are deleted groups) and their interfaces. */
export interface LiveState {
  readonly groups: SecurityGroup[];
  readonly interfaces: NetworkInterface[];
}

/** An EC2 client for a region and account (a member account's through its assumed role). */
export type Ec2For = (region: string, account: string | undefined) => EC2Client;

// The EC2 client package takes most of a second to load: loaded on the first Describe, not at init.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = () => require("@aws-sdk/client-ec2") as typeof import("@aws-sdk/client-ec2");

/** Filter values per request: EC2 takes at most 200 values per filter. */
const FILTER_VALUES = 200;

const chunks = <T>(xs: readonly T[], n: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/** Names the call, region and account in the error, so a dead letter says what was refused where. */
async function described<T>(
  call: string,
  region: string,
  account: string | undefined,
  run: () => Promise<T>,
) {
  try {
    return await run();
  } catch (e) {
    const err = e as Error & { name?: string };
    // Throttling and access denial both end the same way: the SDK retried (throttling), the record is
    // redelivered, and on its last attempt the batch layer dead-letters it with this message.
    throw new Error(
      `${call} in ${region}${account ? ` (account ${account})` : ""} failed: ${err.name}: ${err.message}`,
      {
        cause: e,
      },
    );
  }
}

async function allGroups(ec2: EC2Client, filters: Filter[] | undefined): Promise<SecurityGroup[]> {
  const out: SecurityGroup[] = [];
  let NextToken: string | undefined;
  do {
    const r = await ec2.send(
      new (sdk().DescribeSecurityGroupsCommand)({
        Filters: filters,
        NextToken,
        MaxResults: filters ? undefined : 1000,
      }),
    );
    out.push(...(r.SecurityGroups ?? []));
    NextToken = r.NextToken;
  } while (NextToken);
  return out;
}

async function allInterfaces(ec2: EC2Client, filters: Filter[] | undefined): Promise<NetworkInterface[]> {
  const out: NetworkInterface[] = [];
  let NextToken: string | undefined;
  do {
    const r = await ec2.send(
      new (sdk().DescribeNetworkInterfacesCommand)({ Filters: filters, NextToken, MaxResults: 1000 }),
    );
    out.push(...(r.NetworkInterfaces ?? []));
    NextToken = r.NextToken;
  } while (NextToken);
  return out;
}

/**
 * The groups with these ids and the interfaces attached to them. A `group-id` filter rather than
 * `GroupIds`: a deleted group is then simply absent, where `GroupIds` fails the whole call.
 */
export async function describeGroups(
  ec2: EC2Client,
  groupIds: readonly string[],
  where: { region: string; account?: string },
): Promise<LiveState> {
  const ids = [...new Set(groupIds)];
  if (ids.length === 0) return { groups: [], interfaces: [] };
  const groups: SecurityGroup[] = [];
  const interfaces: NetworkInterface[] = [];
  for (const part of chunks(ids, FILTER_VALUES)) {
    const filters = [{ Name: "group-id", Values: part }];
    groups.push(
      ...(await described("DescribeSecurityGroups", where.region, where.account, () =>
        allGroups(ec2, filters),
      )),
    );
    interfaces.push(
      ...(await described("DescribeNetworkInterfaces", where.region, where.account, () =>
        allInterfaces(ec2, filters),
      )),
    );
  }
  return { groups, interfaces: dedupe(interfaces) };
}

/** Every group of a region and every interface in it (the sweep). */
export async function describeAll(
  ec2: EC2Client,
  where: { region: string; account?: string },
): Promise<LiveState> {
  const groups = await described("DescribeSecurityGroups", where.region, where.account, () =>
    allGroups(ec2, undefined),
  );
  const interfaces = await described("DescribeNetworkInterfaces", where.region, where.account, () =>
    allInterfaces(ec2, undefined),
  );
  return { groups, interfaces };
}

const dedupe = (enis: NetworkInterface[]) => [
  ...new Map(enis.map((e) => [e.NetworkInterfaceId ?? JSON.stringify(e), e])).values(),
];

/** Member accounts and the role to assume in each, from the handler's environment. */
export function memberRolesFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const raw = env[ConfigScannerEnv.memberRoles];
  if (!raw) return {};
  const v = JSON.parse(raw) as unknown;
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new Error(`${ConfigScannerEnv.memberRoles} must be a JSON object of account id → role ARN`);
  return v as Record<string, string>;
}

/**
 * Which credentials describe an account: the function's own for its home account (or when the event
 * names none), the member's role for a configured member, and none otherwise: describing with the
 * home account's credentials would report a member's groups as deleted.
 */
export function roleFor(
  account: string | undefined,
  home: string | undefined,
  roles: Readonly<Record<string, string>>,
): string | undefined {
  if (account === undefined || account === home) return undefined;
  const role = roles[account];
  if (role) return role;
  if (home === undefined) return undefined;
  throw new PermanentFailure(
    "account-not-configured",
    `event from account ${account}, which is not a configured member account (no role to describe its groups)`,
  );
}

/** Credentials of a member account's role, refreshed before they expire (loaded only when configured). */
function assumed(roleArn: string, region: string) {
  type Providers = typeof import("@aws-sdk/credential-providers");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { fromTemporaryCredentials } = require("@aws-sdk/credential-providers") as Providers;
  return fromTemporaryCredentials({
    params: { RoleArn: roleArn, RoleSessionName: "sec-an-config-scanner", DurationSeconds: 900 },
    clientConfig: { region },
  });
}

const clients = new Map<string, EC2Client>();

/** The default client factory: one client per region and role, kept for the container's life. */
export const defaultEc2For: Ec2For = (region, account) => {
  const role = roleFor(account, process.env[ConfigScannerEnv.homeAccount] || undefined, memberRolesFromEnv());
  const key = `${region}|${role ?? ""}`;
  let c = clients.get(key);
  if (!c) {
    c = new (sdk().EC2Client)({
      region,
      // Throttling is retried by the SDK with backoff before the record is redelivered.
      maxAttempts: 5,
      ...(role
        ? {
            credentials: assumed(role, region),
          }
        : {}),
    });
    clients.set(key, c);
  }
  return c;
};
