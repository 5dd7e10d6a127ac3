/**
 * Pulumi mock harness shared by every component/project test.
 *
 * `setupPulumiMocks()` installs `pulumi.runtime.setMocks` (preview = false) with a `newResource` that
 * records every registration (components and awsx remote components included) and answers with
 * deterministic ids/ARNs/URLs per type, and a `call` that answers the common AWS invokes plus
 * `aws:ssm/getParameter` from a given map. Unmocked invokes throw "Mock not implemented: <token>"
 * so a test never silently depends on a value it did not declare.
 *
 * Import the program/component under test AFTER calling `setupPulumiMocks()` (or build it inside
 * `runProgram`), then assert on `resources()` / `resourcesOfType()` and `unwrap()`ped outputs.
 * Mock `inputs` are plain resolved values; unknown values arrive as `undefined`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { MockCallArgs, MockResourceArgs } from "@pulumi/pulumi/runtime";

/** Plain resolved engine values: untyped JSON, probed by tests. The module's one deliberate `any`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

export const MOCK_ACCOUNT = "123456789012";
export const MOCK_REGION = "us-east-1";
export const MOCK_AZS = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"];

/** One recorded registration: exactly what the engine would have been asked to create. */
export interface ResourceRecord {
  type: string;
  name: string;
  inputs: Record<string, Loose>;
  custom: boolean;
  provider?: string;
  /** The component this resource was created under (`{ parent: … }`); undefined at the stack root. */
  parent?: { type: string; name: string };
  /** Top-level input keys that arrived as secrets (their values are unwrapped in `inputs`). */
  secretKeys: string[];
  /** The id the mock answered with. */
  id: string;
  /** The output state the mock answered with (inputs merged with computed outputs). */
  state: Record<string, Loose>;
}

export interface PulumiMockOptions {
  project?: string;
  stack?: string;
  /** Stack config; keys without a namespace get the project's (`bucketDays` -> `<project>:bucketDays`). Non-strings are JSON-encoded. */
  config?: Record<string, unknown>;
  /** SSM parameters by full name, answered to `aws.ssm.getParameter(Output)`. */
  ssm?: Record<string, string>;
  /** Extra outputs for awsx (or any) resources, keyed by resource name or type token; merged over the defaults. */
  awsxOutputs?: Record<string, Record<string, unknown>>;
  /** Extra invoke answers by token; take precedence over the built-ins. */
  calls?: Record<string, (inputs: Loose) => Record<string, unknown>>;
}

let records: ResourceRecord[] = [];

// Wire-format markers of the Pulumi SDK (runtime/rpc.ts).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const isSecret = (v: unknown): v is { value: unknown } =>
  typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;

/** Inputs as plain values: secrets unwrapped, unknowns as undefined. */
function plain(v: unknown): Loose {
  if (v === UNKNOWN) return undefined;
  if (isSecret(v)) return plain(v.value);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** Every registration since the last `resetResources()` (in registration order). */
export function resources(): ResourceRecord[] {
  return records;
}

export function resourcesOfType(type: string): ResourceRecord[] {
  return records.filter((r) => r.type === type);
}

/**
 * Every registration as `type::name`, sorted (registration order is an implementation detail), for
 * asserting the exact resource list; `{ sorted: false }` keeps registration order.
 */
export function resourceKeys(opts: { sorted?: boolean } = {}): string[] {
  const keys = records.map((r) => `${r.type}::${r.name}`);
  return opts.sorted === false ? keys : keys.sort();
}

/** The single resource of `type` named `name`; throws listing the candidates if absent. */
export function resourceNamed(type: string, name: string): ResourceRecord {
  const found = records.find((r) => r.type === type && r.name === name);
  if (!found) {
    const names = resourcesOfType(type).map((r) => r.name);
    throw new Error(`no ${type} named ${name}; have: ${names.join(", ") || "none"}`);
  }
  return found;
}

export function resetResources(): void {
  records = [];
}

/** Records created directly under `parent` (by its `{ parent: this }`). */
export function childrenOf(parent: { type: string; name: string }): ResourceRecord[] {
  return records.filter((r) => r.parent?.type === parent.type && r.parent?.name === parent.name);
}

/** `urn:pulumi:stack::project::a$b$type::name` → the resource's own type and name. */
function fromUrn(urn: string): { type: string; name: string } | undefined {
  const parts = urn.split("::");
  if (parts.length < 4) return undefined;
  return { type: parts[2].split("$").pop() as string, name: parts.slice(3).join("::") };
}

// The parent URN of the registration in flight: MockResourceArgs does not carry it, so we read it off the
// request just before the mock monitor calls `newResource` (synchronously, inside registerResource).
let parentInFlight: string | undefined;

function captureParents(): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as
    { registerResource: (req: Loose, cb: Loose) => Promise<void> } | undefined;
  if (!monitor || (monitor as Loose).__secAnPatched) return;
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    parentInFlight = req.getParent() || undefined;
    try {
      return original(req, cb);
    } finally {
      parentInFlight = undefined;
    }
  };
  (monitor as Loose).__secAnPatched = true;
}

const arn = (service: string, resource: string, region = MOCK_REGION) =>
  `arn:aws:${service}:${region}:${MOCK_ACCOUNT}:${resource}`;

/** Deterministic computed outputs per resource type (merged over the inputs). */
export function mockOutputs(
  type: string,
  name: string,
  inputs: Record<string, Loose>,
): { id: string; outputs: Record<string, unknown> } {
  const n: string = inputs.name ?? name;
  switch (type) {
    case "aws:sqs/queue:Queue": {
      const url = `https://sqs.${MOCK_REGION}.amazonaws.com/${MOCK_ACCOUNT}/${n}`;
      return { id: url, outputs: { name: n, url, arn: arn("sqs", n) } };
    }
    case "aws:sns/topic:Topic":
      return { id: arn("sns", n), outputs: { name: n, arn: arn("sns", n) } };
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2": {
      const b: string = inputs.bucket ?? n;
      return {
        id: b,
        outputs: {
          bucket: b,
          arn: `arn:aws:s3:::${b}`,
          bucketDomainName: `${b}.s3.amazonaws.com`,
          bucketRegionalDomainName: `${b}.s3.${MOCK_REGION}.amazonaws.com`,
        },
      };
    }
    case "aws:lambda/function:Function": {
      const a = arn("lambda", `function:${n}`);
      return {
        id: n,
        outputs: {
          name: n,
          arn: a,
          qualifiedArn: `${a}:1`,
          version: "1",
          invokeArn: `arn:aws:apigateway:${MOCK_REGION}:lambda:path/2015-03-31/functions/${a}/invocations`,
        },
      };
    }
    case "aws:iam/role:Role":
      return {
        id: n,
        outputs: {
          name: n,
          arn: `arn:aws:iam::${MOCK_ACCOUNT}:role/${n}`,
          uniqueId: `AROA${n.toUpperCase()}`,
        },
      };
    case "aws:iam/policy:Policy":
      return {
        id: `arn:aws:iam::${MOCK_ACCOUNT}:policy/${n}`,
        outputs: { name: n, arn: `arn:aws:iam::${MOCK_ACCOUNT}:policy/${n}` },
      };
    case "aws:dynamodb/table:Table": {
      const a = arn("dynamodb", `table/${n}`);
      return {
        id: n,
        outputs: {
          name: n,
          arn: a,
          streamArn: `${a}/stream/2026-01-01T00:00:00.000`,
          streamLabel: "2026-01-01T00:00:00.000",
        },
      };
    }
    case "aws:cloudwatch/logGroup:LogGroup":
      return { id: n, outputs: { name: n, arn: arn("logs", `log-group:${n}`) } };
    case "aws:opensearch/domain:Domain": {
      const d: string = inputs.domainName ?? n;
      return {
        id: arn("es", `domain/${d}`),
        outputs: {
          domainName: d,
          arn: arn("es", `domain/${d}`),
          domainId: `${MOCK_ACCOUNT}/${d}`,
          endpoint: `search-${d}-mock.${MOCK_REGION}.es.amazonaws.com`,
          dashboardEndpoint: `search-${d}-mock.${MOCK_REGION}.es.amazonaws.com/_dashboards`,
        },
      };
    }
    case "aws:ecs/cluster:Cluster":
      return { id: arn("ecs", `cluster/${n}`), outputs: { name: n, arn: arn("ecs", `cluster/${n}`) } };
    case "aws:ecs/taskDefinition:TaskDefinition": {
      const fam: string = inputs.family ?? n;
      return {
        id: fam,
        outputs: {
          arn: arn("ecs", `task-definition/${fam}:1`),
          arnWithoutRevision: arn("ecs", `task-definition/${fam}`),
          revision: 1,
        },
      };
    }
    case "aws:ecr/repository:Repository":
      return {
        id: n,
        outputs: {
          name: n,
          arn: arn("ecr", `repository/${n}`),
          registryId: MOCK_ACCOUNT,
          repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${MOCK_REGION}.amazonaws.com/${n}`,
        },
      };
    case "aws:ssm/parameter:Parameter":
      return {
        id: n,
        outputs: { name: n, arn: arn("ssm", `parameter${n.startsWith("/") ? "" : "/"}${n}`), version: 1 },
      };
    case "aws:kms/key:Key":
      return {
        id: `${name}-key-id`,
        outputs: { keyId: `${name}-key-id`, arn: arn("kms", `key/${name}-key-id`) },
      };
    case "aws:cognito/userPool:UserPool": {
      const id = `${MOCK_REGION}_${name.replace(/[^A-Za-z0-9]/g, "").slice(0, 9)}`;
      return {
        id,
        outputs: {
          arn: arn("cognito-idp", `userpool/${id}`),
          endpoint: `cognito-idp.${MOCK_REGION}.amazonaws.com/${id}`,
        },
      };
    }
    case "aws:cognito/identityPool:IdentityPool": {
      const id = `${MOCK_REGION}:00000000-0000-0000-0000-${name.length.toString().padStart(12, "0")}`;
      return { id, outputs: { arn: arn("cognito-identity", `identitypool/${id}`) } };
    }
    case "aws:apigateway/restApi:RestApi": {
      const id = `${name}-api-id`;
      return {
        id,
        outputs: {
          rootResourceId: `${name}-root`,
          arn: `arn:aws:apigateway:${MOCK_REGION}::/restapis/${id}`,
          executionArn: arn("execute-api", id),
        },
      };
    }
    case "aws:apigateway/stage:Stage":
      return {
        id: `${name}-id`,
        outputs: {
          invokeUrl: `https://${name}.execute-api.${MOCK_REGION}.amazonaws.com/${inputs.stageName ?? "stage"}`,
        },
      };
    case "aws:sfn/stateMachine:StateMachine":
      return {
        id: arn("states", `stateMachine:${n}`),
        outputs: { name: n, arn: arn("states", `stateMachine:${n}`) },
      };
    case "awsx:ec2:Vpc": {
      // One subnet (and route table) per declared subnet type per AZ, as awsx lays them out.
      const azCount: number = inputs.numberOfAvailabilityZones ?? inputs.availabilityZoneNames?.length ?? 3;
      const types: string[] = (inputs.subnetSpecs ?? [{ type: "Public" }, { type: "Private" }]).map(
        (s: Loose) => String(s.type).toLowerCase(),
      );
      const ids = (kind: string) =>
        types.includes(kind) ? Array.from({ length: azCount }, (_, i) => `subnet-${name}-${kind}-${i}`) : [];
      const subnetIds = [...ids("public"), ...ids("private"), ...ids("isolated")];
      const nat = String(inputs.natGateways?.strategy ?? "OnePerAz").toLowerCase();
      const natCount = nat === "none" ? 0 : nat === "single" ? 1 : azCount;
      return {
        id: `${name}-vpc`,
        outputs: {
          vpcId: `vpc-${name}`,
          publicSubnetIds: ids("public"),
          privateSubnetIds: ids("private"),
          isolatedSubnetIds: ids("isolated"),
          // Plain objects standing in for the aws.ec2.RouteTable/NatGateway references awsx returns.
          routeTables: subnetIds.map((s) => ({ id: s.replace(/^subnet-/, "rtb-") })),
          natGateways: Array.from({ length: natCount }, (_, i) => ({ id: `nat-${name}-${i}` })),
          eips: [],
        },
      };
    }
    default: {
      // Generic: "aws:ec2/securityGroup:SecurityGroup" -> arn:aws:ec2:...:securityGroup/<name>.
      const m = /^aws:([^/:]+)\/([^:]+):/.exec(type);
      const out: Record<string, unknown> = {};
      if (m) out.arn = arn(m[1], `${m[2]}/${n}`);
      return { id: `${name}-id`, outputs: out };
    }
  }
}

function policyDocument(inputs: Loose): Record<string, unknown> {
  // Enough of iam.getPolicyDocument for policy assertions: statements with actions/resources/principals/conditions.
  const statements = (inputs.statements ?? []).map((s: Loose) => {
    const st: Record<string, unknown> = { Effect: s.effect ?? "Allow" };
    if (s.sid) st.Sid = s.sid;
    if (s.actions) st.Action = s.actions;
    if (s.notActions) st.NotAction = s.notActions;
    if (s.resources) st.Resource = s.resources;
    if (s.notResources) st.NotResource = s.notResources;
    if (s.principals) {
      st.Principal = Object.fromEntries(s.principals.map((p: Loose) => [p.type, p.identifiers]));
      if (s.principals.some((p: Loose) => p.type === "*")) st.Principal = "*";
    }
    if (s.conditions) {
      const cond: Record<string, Record<string, unknown>> = {};
      for (const c of s.conditions) (cond[c.test] ??= {})[c.variable] = c.values;
      st.Condition = cond;
    }
    return st;
  });
  const json = JSON.stringify({ Version: inputs.version ?? "2012-10-17", Statement: statements });
  return { id: "policy", json, minifiedJson: json };
}

function builtinCall(args: MockCallArgs, ssm: Record<string, string>): Record<string, unknown> {
  const i = args.inputs ?? {};
  switch (args.token) {
    case "aws:ssm/getParameter:getParameter": {
      if (!(i.name in ssm)) throw new Error(`SSM parameter not mocked: ${i.name}`);
      const value = ssm[i.name];
      return {
        id: i.name,
        name: i.name,
        value,
        insecureValue: value,
        type: "String",
        version: 1,
        arn: arn("ssm", `parameter${i.name}`),
        withDecryption: true,
      };
    }
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        id: MOCK_ACCOUNT,
        accountId: MOCK_ACCOUNT,
        arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/test`,
        userId: "AIDATEST",
      };
    case "aws:index/getRegion:getRegion":
      return {
        id: MOCK_REGION,
        name: MOCK_REGION,
        region: MOCK_REGION,
        description: "US East (N. Virginia)",
        endpoint: `ec2.${MOCK_REGION}.amazonaws.com`,
      };
    case "aws:index/getPartition:getPartition":
      return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return {
        id: MOCK_REGION,
        names: MOCK_AZS,
        zoneIds: MOCK_AZS.map((_, k) => `use1-az${k + 1}`),
        groupNames: [MOCK_REGION],
      };
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      return policyDocument(i);
    default:
      throw new Error(`Mock not implemented: ${args.token}`);
  }
}

/** Install the mocks. Call before importing/constructing the program under test; safe to call again per test. */
export function setupPulumiMocks(options: PulumiMockOptions = {}): void {
  const project = options.project ?? "sec-an-test";
  const stack = options.stack ?? "test";
  const ssm = options.ssm ?? {};
  const extra = options.awsxOutputs ?? {};
  resetResources();

  const config: Record<string, string> = { "aws:region": MOCK_REGION };
  for (const [k, v] of Object.entries(options.config ?? {})) {
    config[k.includes(":") ? k : `${project}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  }
  pulumi.runtime.setAllConfig(config);

  pulumi.runtime.setMocks(
    {
      newResource(args: MockResourceArgs) {
        const raw: Record<string, unknown> = args.inputs ?? {};
        const inputs = plain(raw);
        const secretKeys = Object.keys(raw).filter((k) => isSecret(raw[k]));
        const { id: defaultId, outputs } = mockOutputs(args.type, args.name, inputs);
        // The engine gets the raw inputs back (secrets stay secret); the record holds plain values.
        const state = { ...raw, ...outputs, ...(extra[args.type] ?? {}), ...(extra[args.name] ?? {}) };
        const id = args.id || defaultId;
        const parent = parentInFlight ? fromUrn(parentInFlight) : undefined;
        records.push({
          type: args.type,
          name: args.name,
          parent,
          inputs,
          secretKeys,
          custom: args.custom ?? false,
          provider: args.provider,
          id,
          state: { ...inputs, ...plain(state) },
        });
        return { id, state };
      },
      call(args: MockCallArgs) {
        try {
          const custom = options.calls?.[args.token];
          return custom ? custom(args.inputs) : builtinCall(args, ssm);
        } catch (err) {
          // The SDK surfaces only the gRPC-style `details` of a failed invoke; keep our message visible.
          const e = err instanceof Error ? err : new Error(String(err));
          throw Object.assign(e, { details: e.message });
        }
      },
    },
    project,
    stack,
    false,
  );
  captureParents();
}

/** Resolve an Output (or promise/plain value) to its value. Unknown outputs resolve to undefined. */
export function unwrap<T>(value: pulumi.Input<T>): Promise<T> {
  if (pulumi.Output.isInstance(value)) {
    return new Promise<T>((resolve) => {
      (value as pulumi.Output<T>).apply((v) => {
        resolve(v);
        return v;
      });
    });
  }
  return Promise.resolve(value as T | Promise<T>);
}

/** Wait until every pending resource registration/invoke has settled. */
export async function settle(): Promise<void> {
  const wait = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
  // Several passes: registering one resource can start further registrations (children, applies).
  for (let k = 0; k < 5; k++) {
    if (wait) await wait();
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * Run a program function (e.g. a project's `program(config)`), deep-resolve what it returns
 * (Outputs inside objects/arrays included) and wait for every registration to finish.
 */
export async function runProgram<T>(fn: () => T | Promise<T>): Promise<pulumi.Unwrap<Awaited<T>>> {
  const result = await fn();
  const resolved = await unwrap(pulumi.output(result as Loose));
  await settle();
  return resolved as pulumi.Unwrap<Awaited<T>>;
}
