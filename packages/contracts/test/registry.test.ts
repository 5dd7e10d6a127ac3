import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Params, dependencyEdges, deploymentOrder, taskParams, type ProjectDeps } from "../src";
import {
  RegistryError,
  discoverProjects,
  findProject,
  findRepoRoot,
  loadProject,
  projectDeps,
  repoRelative,
  repoRoot,
} from "../src/registry";

const root = join(__dirname, "../../..");
const P = Params;
const byProducer = (project: string) => Object.values(P).filter((d) => d.producer === project);
const nmapTask = taskParams("nmap");
const sslTask = taskParams("ssl");

/** The declarations the platform was deployed with before the registry: the registry must reproduce them. */
const EXPECTED: Record<string, ProjectDeps> = {
  "shared-code": { publishes: byProducer("shared-code"), reads: [] },
  "shared-infra": { publishes: byProducer("shared-infra"), reads: [] },
  "analytics-platform": {
    publishes: byProducer("analytics-platform"),
    reads: [
      P.vpcId,
      P.vpcSubnetsPrivate,
      P.cognitoUserPool,
      P.cognitoIdentityPool,
      P.usersRoleArn,
      P.deadLettersBucketName,
      P.deadLettersBucketArn,
      // the optional public Dashboards entry
      P.vpcSubnetsPublic,
      P.cognitoUserPoolArn,
      P.cognitoUserPoolDomain,
      // the public entry's proxy needs a NAT
      P.vpcUsingPrivateSubnets,
    ],
  },
  "task-execution": {
    publishes: byProducer("task-execution"),
    reads: [
      P.deadLettersBucketName,
      P.deadLettersBucketArn,
      P.ingestQueueUrl,
      P.ingestQueueArn,
      P.esAdminFunctionName,
      P.deadLetterVisId,
    ],
  },
  nmap: {
    publishes: [...byProducer("nmap"), ...Object.values(nmapTask)],
    reads: [
      P.deadLettersBucketName,
      P.deadLettersBucketArn,
      P.ingestQueueArn,
      P.esAdminFunctionName,
      P.ecsCluster,
      P.vpcId,
      P.vpcSubnetsInstance,
      P.vpcUsingPrivateSubnets,
      P.scanInitiatorTopicArn,
      P.addressInfoTableId,
      P.addressInfoTableArn,
    ],
  },
  ssl: {
    publishes: Object.values(sslTask).filter((d) => d !== sslTask.securityGroupId && d !== sslTask.imageId),
    reads: [
      P.deadLettersBucketName,
      P.deadLettersBucketArn,
      P.ingestQueueArn,
      P.esAdminFunctionName,
      P.portsTopicArn,
      P.resolvedAddressesTableId,
      P.resolvedAddressesTableArn,
    ],
  },
};

const paths = (defs: readonly { path: string }[]) => defs.map((d) => d.path).sort();

describe("the registry of the workspace", () => {
  const projects = discoverProjects(root);

  it("finds every project folder, with its kind, task, package, entry and config namespace", () => {
    // Other scanners may be registered too: each is a folder of its own.
    expect(projects.map((p) => p.name)).toEqual(expect.arrayContaining(Object.keys(EXPECTED)));
    const nmap = findProject(projects, "nmap");
    expect(nmap).toMatchObject({
      kind: "container-task",
      task: "nmap",
      packageName: "@sec-an/project-nmap",
      entry: join(root, "projects/nmap/src/index.ts"),
      pulumiName: "sec-an-nmap",
    });
    expect(findProject(projects, "ssl").kind).toBe("lambda-task");
    expect(findProject(projects, "shared-code").task).toBeUndefined();
    expect(() => findProject(projects, "nope")).toThrow(
      /unknown project "nope" \(known: analytics-platform, .*\bnmap, /,
    );
  });

  it("reproduces the platform's declared publishes and reads exactly", () => {
    const deps = projectDeps(projects);
    for (const [name, d] of Object.entries(EXPECTED)) {
      expect({ name, publishes: paths(deps[name].publishes) }).toEqual({
        name,
        publishes: paths(d.publishes),
      });
      expect({ name, reads: paths(deps[name].reads) }).toEqual({ name, reads: paths(d.reads) });
    }
  });

  it("derives the deployment order, the same whatever order the projects come in", () => {
    const order = ["shared-code", "shared-infra", "analytics-platform", "task-execution", "nmap", "ssl"];
    const deps = projectDeps(projects);
    const derived = deploymentOrder(deps);
    expect(derived.filter((n) => n in EXPECTED)).toEqual(order);
    const reversed = Object.fromEntries(Object.entries(deps).reverse());
    expect(deploymentOrder(reversed)).toEqual(derived);
    // Alone, the platform's own projects give exactly this order.
    expect(deploymentOrder(Object.fromEntries(order.map((n) => [n, deps[n]])))).toEqual(order);
    expect(dependencyEdges(deps).find((e) => e.from === "nmap" && e.to === "ssl")?.params).toEqual([
      Params.portsTopicArn.path,
    ]);
  });

  it("loads a project through its public index only", async () => {
    const nmap = await loadProject(findProject(projects, "nmap"));
    expect(typeof nmap.runFromConfig).toBe("function");
    expect(nmap.scanner).toMatchObject({ name: "nmap" });
    const code = await loadProject(findProject(projects, "shared-code"));
    expect(typeof code.runFromConfig).toBe("function");
  });
});

describe("task parameters", () => {
  it("derive from the task name alone and name the project of that name as producer", () => {
    const t = taskParams("mytask");
    expect(t.resultsTopicArn).toMatchObject({ path: "/tasks/mytask/results/arn", producer: "mytask" });
    expect(Object.values(t).every((d) => d.producer === "mytask")).toBe(true);
  });
});

describe("finding the repository root", () => {
  it("is the nearest folder whose package.json declares workspaces", () => {
    expect(findRepoRoot(join(root, "projects/nmap/src/parser"))).toBe(root);
    expect(repoRoot(__dirname)).toBe(root);
    expect(repoRelative(join(root, "projects/nmap/src/handlers/parse.ts"))).toBe(
      "projects/nmap/src/handlers/parse.ts",
    );
    expect(findRepoRoot(tmpdir())).toBeUndefined();
    expect(() => repoRoot(tmpdir())).toThrow(RegistryError);
  });
});

describe("manifest validation", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sec-an-registry-"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ workspaces: ["projects/*", "packages/*"] }));
    mkdirSync(join(dir, "packages/lib"), { recursive: true });
    writeFileSync(
      join(dir, "packages/lib/package.json"),
      JSON.stringify({ name: "@x/lib", main: "index.ts" }),
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const project = (folder: string, manifest: unknown, opts: { pulumi?: boolean; index?: string } = {}) => {
    const d = join(dir, "projects", folder);
    mkdirSync(join(d, "src"), { recursive: true });
    writeFileSync(
      join(d, "package.json"),
      JSON.stringify({ name: `@x/project-${folder}`, main: "src/index.ts", "sec-an": manifest }),
    );
    if (opts.pulumi !== false) writeFileSync(join(d, "Pulumi.yaml"), `name: x-${folder}\nruntime: nodejs\n`);
    if (opts.index !== undefined) writeFileSync(join(d, "src/index.js"), opts.index);
  };
  const ok = { project: "probe", task: "probe", kind: "lambda-task", reads: ["portsTopicArn"] };

  it("registers a valid folder and ignores packages without a manifest", () => {
    project("probe", ok);
    const [p] = discoverProjects(dir);
    expect(p).toMatchObject({
      name: "probe",
      task: "probe",
      pulumiName: "x-probe",
      reads: ["portsTopicArn"],
    });
    expect(discoverProjects(dir)).toHaveLength(1);
    // Its publishes: the task's parameters without image or security group.
    expect(paths(projectDeps([p]).probe.publishes)).toEqual(
      paths(Object.values(taskParams("probe")).filter((d) => !/image|security_group/.test(d.path))),
    );
  });

  it.each([
    [{ ...ok, extra: 1 }, '@x/project-probe (package.json "sec-an").extra: unknown key'],
    [{ ...ok, kind: "daemon" }, '.kind: must be one of platform, lambda-task, container-task, got "daemon"'],
    [
      { ...ok, task: "other" },
      '.task: a lambda-task project\'s task must equal its name "probe", got "other"',
    ],
    [{ ...ok, kind: "platform" }, ".task: a platform project has no task"],
    [{ ...ok, reads: ["nope"] }, '.reads: "nope" is not a key of the Params catalogue'],
    [{ ...ok, reads: "portsTopicArn" }, ".reads: must be a list of Params keys"],
    [{ ...ok, reads: ["vpcId", "vpcId"] }, ".reads: lists a parameter twice"],
    [{ ...ok, project: "renamed", task: "renamed" }, '.project: must equal the folder name "probe"'],
    ["probe", '@x/project-probe (package.json "sec-an"): must be an object'],
  ])("rejects %j naming the package and key", (manifest, message) => {
    project("probe", manifest);
    expect(() => discoverProjects(dir)).toThrow(RegistryError);
    expect(() => discoverProjects(dir)).toThrow(message);
  });

  it("rejects a name that is not DNS-safe", () => {
    project("Probe_X", { ...ok, project: "Probe_X", task: "Probe_X" });
    expect(() => discoverProjects(dir)).toThrow(
      '.project: must be a DNS-safe name of at most 31 characters, got "Probe_X"',
    );
  });

  it("rejects a Pulumi project without a manifest, and a manifest without a Pulumi.yaml", () => {
    project("probe", ok, { pulumi: false });
    expect(() => discoverProjects(dir)).toThrow("no Pulumi.yaml");
    rmSync(join(dir, "projects/probe/package.json"));
    writeFileSync(join(dir, "projects/probe/package.json"), JSON.stringify({ name: "@x/p" }));
    writeFileSync(join(dir, "projects/probe/Pulumi.yaml"), "name: x\n");
    expect(() => discoverProjects(dir)).toThrow('@x/p: has a Pulumi.yaml but no "sec-an" field');
  });

  it("refuses to load an index without runFromConfig, or a task index without its scanner", async () => {
    project("probe", ok);
    const [p] = discoverProjects(dir);
    // Two files: a module loads once per path.
    const a = join(p.dir, "src/a.js");
    const b = join(p.dir, "src/b.js");
    writeFileSync(a, "exports.scanner = {};\n");
    writeFileSync(b, "exports.runFromConfig = () => 1;\n");
    await expect(loadProject({ ...p, entry: a })).rejects.toThrow("does not export runFromConfig");
    await expect(loadProject({ ...p, entry: b })).rejects.toThrow("must export its scanner module");
  });
});
