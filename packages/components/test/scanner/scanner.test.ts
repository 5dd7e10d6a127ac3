import { Type } from "@sinclair/typebox";
import { checkResources } from "@sec-an/policy";
import {
  CascadeTopics,
  lambdaScan,
  PortDetected,
  SavedObjectSpec,
  renderSavedObjects,
  savedObjectId,
  validate,
  type ScannerModule,
} from "@sec-an/contracts";
import * as pulumi from "@pulumi/pulumi";
import { resources, resourcesOfType, settle, setupPulumiMocks, unwrap } from "@sec-an/testing";
import { Scanner, ScannerViews } from "../../src/scanner";
import { ACCOUNT, DL_BUCKET, deployment, fixture, statementsOf } from "../task/helpers";

const PORTS_TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:test-sec-an-ports-detected`;
const SSM = {
  "/sec-an/test/glue/port_detector/sns_target": PORTS_TOPIC,
  "/sec-an/test/analytics/elastic/admin_function/name": "test-sec-an-opensearch-admin",
  "/sec-an/test/analytics/elastic/ingest_queue/arn": `arn:aws:sqs:us-east-1:${ACCOUNT}:test-sec-an-ingest`,
};

const probe: ScannerModule = {
  name: "probe",
  parserVersion: "1.0.0",
  requestSchema: PortDetected,
  docTypes: ["finding", "banner"],
  scan: lambdaScan(
    async () => ({ body: "", extension: "json", startTime: new Date(), endTime: new Date() }),
    fixture("scan.ts"),
  ),

  parse: () => undefined,
  parseEntry: fixture("parse.ts"),
  cascades: [CascadeTopics.ports],
  views: {
    mappings: {
      finding: { properties: { title: { type: "keyword" } } },
      banner: { properties: { server: { type: "keyword" } } },
    },
    savedObjects: renderSavedObjects("probe", {
      searches: [
        {
          name: "findings",
          title: "Probe findings",
          index: "finding",
          query: "",
          columns: ["title"],
          sort: [["title", "asc"]],
        },
      ],
      visualisations: [
        {
          name: "by-title",
          title: "Probe findings by title",
          search: "findings",
          visState: { type: "pie", params: {}, aggs: [] },
        },
      ],
    }),
  },
  configSchema: Type.Object({}),
};

const common = {
  deployment,
  deadLetterBucketArn: DL_BUCKET,
  deadLetterHandlerEntry: fixture("recorder.ts"),
  subscribeTo: [{ name: "ports", topic: PORTS_TOPIC, filterPolicy: { port: [80] } }],
  subscribeToIngest: true,
};

describe("Scanner", () => {
  beforeAll(async () => {
    setupPulumiMocks({ ssm: SSM });
    new Scanner("probe", { ...common, module: probe });
    await settle();
  }, 120_000);

  it("builds the module's Task: its entries, its subscription, one queue policy", () => {
    expect(resourcesOfType("sec-an:task:Task").map((r) => r.name)).toEqual(["probe"]);
    const fns = resourcesOfType("aws:lambda/function:Function").map((r) => r.inputs.name);
    expect(fns).toEqual(
      expect.arrayContaining(["test-sec-an-probe-scan", "test-sec-an-probe-results-parser"]),
    );
    const sub = resourcesOfType("aws:sns/topicSubscription:TopicSubscription").find(
      (s) => s.inputs.topic === PORTS_TOPIC,
    )!;
    expect(JSON.parse(sub.inputs.filterPolicy)).toEqual({ port: [80] });
    expect(resourcesOfType("aws:sqs/queuePolicy:QueuePolicy").map((p) => p.name)).toContain(
      "probe-queue-policy",
    );
  });

  it("lets the parser publish to its cascade topics and read their parameters, nothing more", async () => {
    const st = (await statementsOf("probe-parser-policy")) as {
      Sid?: string;
      Action: unknown;
      Resource: unknown;
    }[];
    expect(st.find((s) => s.Sid === "CascadePorts")).toEqual({
      Sid: "CascadePorts",
      Effect: "Allow",
      Action: "sns:Publish",
      Resource: PORTS_TOPIC,
    });
    expect(st.find((s) => s.Sid === "ReadCascadeTopics")?.Resource).toEqual([
      `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/sec-an/test/glue/port_detector/sns_target`,
    ]);
    // Every statement of the policy has its own Sid (IAM refuses a policy with two alike).
    const sids = st.map((s) => s.Sid).filter(Boolean);
    expect(new Set(sids).size).toBe(sids.length);
  });

  it("creates a snapshot and a history index for every owned doc type, and the saved objects after them", () => {
    const specs = resourcesOfType("aws:lambda/invocation:Invocation").map((r) => JSON.parse(r.inputs.input));
    expect(
      specs
        .filter((s) => s.kind === "index")
        .map((s) => s.base)
        .sort(),
    ).toEqual([
      "probe_banner_history",
      "probe_banner_snapshot",
      "probe_finding_history",
      "probe_finding_snapshot",
    ]);
    const objects = specs.filter((s) => s.kind === "saved-object").map((o) => validate(SavedObjectSpec, o));
    const ids = new Set(objects.map((o) => o.id));
    for (const o of objects) for (const r of o.references) expect(ids.has(r.id as string)).toBe(true);
    expect(ids.has(savedObjectId("visualization", "probe.by-title"))).toBe(true);
    const vis = resourcesOfType("sec-an:analytics:KibanaSavedObject").find((r) =>
      r.name.endsWith("probe.by-title"),
    )!;
    expect(vis.name).toBe("probe-views-visualization-probe.by-title");
  });

  it("has zero policy violations", async () => {
    expect(await checkResources(resources())).toEqual([]);
  });
});

describe("Scanner arguments", () => {
  beforeEach(() => setupPulumiMocks({ ssm: SSM }));

  it("refuses views that do not cover exactly the owned doc types", () => {
    const bad = { ...probe, docTypes: ["finding"] };
    expect(() => new Scanner("bad", { ...common, module: bad })).toThrow(
      /views\.mappings covers \[banner, finding\] but the parser posts \[finding\]/,
    );
    expect(resources()).toEqual([]);
  });

  it("a container scanner needs providers and becomes an EcsTask", async () => {
    const container = { ...probe, scan: { kind: "container" as const, entry: fixture("scan.ts") } };
    expect(() => new Scanner("c", { ...common, module: container })).toThrow(/give its providers/);
    new Scanner("c", {
      ...common,
      module: container,
      views: false,
      providers: {
        probe: { image: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/probe:1`, cpu: 256, memory: 512 },
      },
      clusterArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/c`,
      vpcId: "vpc-1",
      subnetIds: ["subnet-1"],
      assignPublicIp: false,
    });
    await settle();
    expect(resourcesOfType("sec-an:task:EcsTask").map((r) => r.name)).toEqual(["c"]);
    // The module's container source is what the local run starts for the provider.
    const [td] = resourcesOfType("aws:ecs/taskDefinition:TaskDefinition");
    expect(td.inputs.tags["sec-an:entry"]).toMatch(/packages\/components\/test\/task\/fixtures\/scan\.ts$/);
    expect(resourcesOfType("sec-an:analytics:ElasticIndex")).toEqual([]);
  }, 120_000);
});

describe("ScannerViews former names", () => {
  it("keeps a renamed index or saved object under an alias of its former name, not a replacement", async () => {
    setupPulumiMocks({ ssm: SSM });
    const views = new ScannerViews("v", {
      task: "probe",
      mappings: probe.views.mappings,
      savedObjects: probe.views.savedObjects,
      adminFunctionName: "admin",
      formerNames: { "v-probe-finding-snapshot": "old-probe_finding_snapshot" },
    });
    await settle();
    const urns = async (r: object) =>
      Promise.all(((r as { __aliases?: pulumi.Input<string>[] }).__aliases ?? []).map((a) => unwrap(a)));
    expect(await urns(views.indexes.probe_finding_snapshot)).toEqual([
      expect.stringMatching(/::old-probe_finding_snapshot$/),
    ]);
    expect(await urns(views.indexes.probe_banner_snapshot)).toEqual([]);
  });
});
