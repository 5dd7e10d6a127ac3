import { join } from "node:path";
import { CascadeTopics, Params, type ParamKey } from "@sec-an/contracts";
import type { TemplateVars } from "./template";

/**
 * The scanner template set's variables. A scanner is fed either by the scan initiator (a `ScanRequest`
 * per planned target) or by a cascade topic (its event schema, through an SNS filter policy), and scans
 * in a Lambda or in a container.
 */
export const SCANNER_TEMPLATES = join(__dirname, "templates", "scanner");
export const SCANNER_VARIANTS = ["lambda", "container"] as const;

export interface ScannerOptions {
  readonly name: string;
  readonly container: boolean;
  /** "scan-initiator" (default) or a cascade topic name. */
  readonly from: string;
  /** SNS filter policy on the topic's message attributes. */
  readonly filter?: Record<string, unknown>;
}

export class OptionError extends Error {
  override name = "OptionError";
}

export const SCAN_INITIATOR = "scan-initiator";

/** Checks --from and --filter: a known topic, and a filter naming only attributes that topic carries. */
export function checkSource(from: string, filter: Record<string, unknown> | undefined): void {
  const topics = Object.keys(CascadeTopics);
  if (from !== SCAN_INITIATOR && !topics.includes(from))
    throw new OptionError(`--from ${from}: one of ${[SCAN_INITIATOR, ...topics].join(", ")}`);
  if (!filter) return;
  const attrs =
    from === SCAN_INITIATOR
      ? ["Provider"]
      : Object.keys(CascadeTopics[from as keyof typeof CascadeTopics].attributes);
  const keys = Object.keys(filter).flatMap((k) =>
    k === "$or" && Array.isArray(filter.$or) ? filter.$or.flatMap((b) => Object.keys(b as object)) : [k],
  );
  for (const k of keys)
    if (!attrs.includes(k))
      throw new OptionError(
        `--filter: ${from} messages have no attribute ${JSON.stringify(k)} (they have ${attrs.join(", ")})`,
      );
}

const pascal = (s: string) => s.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
const indent = (lines: string[], n: number) => lines.map((l) => " ".repeat(n) + l).join("\n");

/** Values the program test's mock answers the deploy-time SSM reads with. */
const MOCK: Partial<Record<ParamKey, string>> = {
  deadLettersBucketArn: "arn:aws:s3:::dev-sec-an-dead-letters",
  ingestQueueArn: "arn:aws:sqs:us-east-1:123456789012:dev-sec-an-ingest",
  esAdminFunctionName: "dev-sec-an-opensearch-admin",
  scanInitiatorTopicArn: "arn:aws:sns:us-east-1:123456789012:dev-sec-an-scan-initiator",
  portsTopicArn: "arn:aws:sns:us-east-1:123456789012:dev-sec-an-ports-detected",
  ecsCluster: "arn:aws:ecs:us-east-1:123456789012:cluster/dev-sec-an-cluster",
  vpcId: "vpc-1",
  vpcSubnetsInstance: "subnet-a,subnet-b",
  vpcUsingPrivateSubnets: "true",
};

export function scannerVars(o: ScannerOptions): { vars: TemplateVars; variant: string } {
  const initiator = o.from === SCAN_INITIATOR;
  const topic = initiator ? undefined : CascadeTopics[o.from as keyof typeof CascadeTopics];
  const requestSchema = initiator ? "ScanRequest" : topic!.event.title!;
  const fromParam = initiator
    ? "scanInitiatorTopicArn"
    : (Object.keys(Params) as ParamKey[]).find((k) => Params[k] === topic!.param)!;
  const deployReads: ParamKey[] = [
    "deadLettersBucketArn",
    "ingestQueueArn",
    "esAdminFunctionName",
    fromParam,
  ];
  if (o.container) deployReads.push("ecsCluster", "vpcId", "vpcSubnetsInstance", "vpcUsingPrivateSubnets");
  // Read at run time by the dead-letter recorders.
  const reads: ParamKey[] = ["deadLettersBucketName", ...deployReads];

  const subscription = initiator
    ? [
        "subscribeToScanInitiator: true,",
        ...(o.filter ? [`scanInitiatorFilterPolicy: ${JSON.stringify(o.filter)},`] : []),
      ]
    : [
        `subscribeTo: [{ name: "${o.from}", topic: ssmParam(d, CascadeTopics.${o.from}.param)${o.filter ? ", filterPolicy: FILTER" : ""} }],`,
      ];
  const scannerArgs = o.container
    ? [
        "providers: {",
        `  "${o.name}": {`,
        `    image: config.image ?? missing("image", "the URI of the pushed image, with a tag or digest"),`,
        "    cpu: config.cpu,",
        "    memory: config.memory,",
        "  },",
        "},",
        ...subscription,
      ]
    : ["scanTimeout: config.scanTimeout,", "scanMemory: config.scanMemory,", ...subscription];
  const preamble = [
    ...(o.filter
      ? [
          "",
          `/** Which ${o.from} messages reach this scanner: an SNS filter policy on their attributes. */`,
          `export const FILTER = ${JSON.stringify(o.filter)};`,
        ]
      : []),
    ...(o.container
      ? [
          "",
          "const missing = (key: string, what: string): never => {",
          `  throw new ConfigError("sec-an-${o.name}", key, \`set \${what}\`);`,
          "};",
        ]
      : []),
    "",
  ];
  const configKeys = o.container
    ? [
        "  /** The scanner image (build container/, push it, set its URI here). */",
        '  image: Type.Optional(Type.String({ pattern: "^[a-z0-9.-]+(:\\\\d+)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$" })),',
        "  /** Fargate size of one scan (a size Fargate offers). */",
        "  cpu: Type.Integer({ minimum: 256, maximum: 16384, default: 256 }),",
        "  memory: Type.Integer({ minimum: 512, maximum: 122880, default: 512 }),",
      ]
    : [
        "  /** Scan Lambda timeout (s) and memory (MB). */",
        "  scanTimeout: Type.Integer({ minimum: 10, maximum: 900, default: 120 }),",
        "  scanMemory: Type.Integer({ minimum: 128, maximum: 10240, default: 256 }),",
      ];
  const ns = `sec-an-${o.name}`;
  const devConfig = o.container
    ? [
        `${ns}:image: 123456789012.dkr.ecr.eu-west-2.amazonaws.com/dev-sec-an-${o.name}:v1`,
        `${ns}:cpu: "256"`,
        `${ns}:memory: "512"`,
      ]
    : [`${ns}:scanTimeout: "120"`, `${ns}:scanMemory: "256"`];
  devConfig.push(`${ns}:views: "true"`, `${ns}:forceDestroy: "false"`);
  const localConfig = [
    ...(o.container ? [`${ns}:image: localhost/sec-an-${o.name}:local`] : [`${ns}:scanTimeout: "30"`]),
    `${ns}:forceDestroy: "true"`,
  ];

  const hostField = initiator ? "target" : "address";
  const endpoints = initiator
    ? [
        "/** The host and ports a scan request names (default 80 and 443); hostile values never reach a socket. */",
        "export function endpoints(r: ScanRequest): { host: string; ports: number[] } {",
        "  if (!isIP(r.target) && !HOSTNAME.test(r.target))",
        '    throw new PermanentFailure("invalid-target", `not an address or host name: ${JSON.stringify(r.target)}`);',
        "  const ports = new Set<number>();",
        '  for (const part of (r.ports ?? "80,443").split(",")) {',
        '    const [from, to = from] = part.split("-").map(Number);',
        "    for (let p = from; p <= to && ports.size < MAX_PORTS; p++) if (p >= 1 && p <= 65535) ports.add(p);",
        "  }",
        "  return { host: r.target, ports: [...ports] };",
        "}",
      ]
    : [
        "/** The host and port an event names; hostile values never reach a socket. */",
        `export function endpoints(e: ${requestSchema}): { host: string; ports: number[] } {`,
        "  if (!isIP(e.address) && !HOSTNAME.test(e.address))",
        '    throw new PermanentFailure("invalid-target", `not an address or host name: ${JSON.stringify(e.address)}`);',
        "  return { host: e.address, ports: [e.port].slice(0, MAX_PORTS) };",
        "}",
      ];
  const sampleRequests = initiator
    ? [
        "/** One scan request for both ports. */",
        "function requests(open: number, closed: number): Parameters<typeof scan>[0][] {",
        '  return [{ target: "127.0.0.1", requestedAt: new Date().toISOString(), ports: `${open},${closed}` }];',
        "}",
      ]
    : [
        `/** One ${o.from} event per port. */`,
        "function requests(open: number, closed: number): Parameters<typeof scan>[0][] {",
        "  return [open, closed].map((port) => ({",
        '    kind: "port-detected" as const,',
        '    address: "127.0.0.1",',
        '    addressType: "ipv4" as const,',
        "    port,",
        '    protocol: "tcp" as const,',
        "    hostnames: [],",
        "    detectedAt: new Date().toISOString(),",
        '    lineage: { rootScanId: "root", parentScanId: "parent", rule: "test", rawKey: "nmap/x.xml", depth: 1 },',
        "  }));",
        "}",
      ];
  const ssmMocks = deployReads
    .filter((k) => MOCK[k])
    .map((k) => `  [paramName(d, Params.${k})]: ${JSON.stringify(MOCK[k])},`);

  const flags = [
    o.container ? " --container" : "",
    initiator ? "" : ` --from ${o.from}`,
    o.filter ? ` --filter '${JSON.stringify(o.filter)}'` : "",
  ].join("");
  const description = `${o.container ? "a container" : "a Lambda"} scan of ${initiator ? "each planned target" : `each ${o.from} event`}`;
  return {
    variant: o.container ? "container" : "lambda",
    vars: {
      name: o.name,
      title: pascal(o.name),
      namespace: ns,
      kind: o.container ? "container-task" : "lambda-task",
      reads: JSON.stringify(reads),
      description,
      requestSchema,
      scanDecl: o.container
        ? '{ kind: "container", run: scan, entry: path.join(__dirname, "container", "main.ts") }'
        : 'lambdaScan(scan, path.join(__dirname, "handlers", "scan.ts"))',
      scannerImports: [
        requestSchema,
        ...(o.container ? [] : ["lambdaScan"]),
        "renderSavedObjects",
        "type ScannerModule",
      ].join(", "),
      contractsImports: ["resourcePrefix", ...(initiator ? [] : ["CascadeTopics"])].join(", "),
      componentsImports: [
        "Scanner",
        "readStackConfig",
        ...(initiator ? [] : ["ssmParam"]),
        ...(o.container ? ["ConfigError"] : []),
      ].join(", "),
      programPreamble: preamble.join("\n"),
      scannerArgs: indent(scannerArgs, 4),
      configKeys: configKeys.join("\n"),
      devConfig: indent(devConfig, 2),
      localConfig: indent(localConfig, 2),
      endpoints: endpoints.join("\n"),
      hostField,
      sampleRequests: sampleRequests.join("\n"),
      ssmMocks: ssmMocks.join("\n"),
      testConfig: o.container
        ? `{ image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/${o.name}:v1" }`
        : "{}",
      from: o.from,
      fromParam,
      fromText: initiator
        ? "the scan initiator: a `ScanRequest` per planned target"
        : `the ${o.from} topic: a \`${requestSchema}\` per event${o.filter ? " matching `FILTER` in src/program.ts" : ""}`,
      commandFlags: flags,
      localScanners: `nmap,${o.name}`,
    },
  };
}
