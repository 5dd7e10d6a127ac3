import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { SQSClient, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { SNSClient } from "@aws-sdk/client-sns";
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { setClients, setParamOverrides } from "@sec-an/runtime";
import {
  asyncDeadLetters,
  eventBus,
  s3NotificationBridge,
  sqsPoller,
  streamBridge,
  type Loop,
} from "./bridges";
import { startDemoServices, type DemoServices } from "./demo-services";
import { LocalEcs } from "./ecs";
import { LocalInvoker } from "./invoker";
import { provision, type LocalClients } from "./provision";
import { localErrorsTopic, startErrorsFeed } from "./errors-feed";
import { htmlReport, registeredViews, summarise, terminalSummary, type RunSummary } from "./report";
import { ctsExample, serveCtsLocally } from "./cts-server";
import { installStore, replayInvocations, seedScans } from "./seed";
import { SqliteStore } from "./sqlite-store";
import { TargetError, expandTargets, loopbackGuard } from "./targets";
import { localTopology, type TopologySource } from "./shipped-topology";
import { programsHash } from "./sources-hash";
import { taskBundle } from "./task-bundle";
import { registeredTasks, repoRoot } from "@sec-an/contracts/registry";

export interface LocalOptions {
  targets?: string[];
  allowRemote?: boolean;
  /** Which scanners run (default all that can: nmap needs Debian's nmap). */
  scanners?: string[];
  dataDir?: string;
  keepRunning?: boolean;
  json?: boolean;
  /**
   * Scan every TCP port of the demo services' host (slow). By default only the demo services' own
   * ports are scanned; with explicit targets nmap always scans every port.
   */
  full?: boolean;
  /** Where the topology cache lives (default node_modules/.cache/sec-an). */
  topologyCacheDir?: string;
  /** Upper bound on the whole run in seconds (default 240). */
  timeoutSeconds?: number;
  log?: (line: string) => void;
}

export interface LocalResult {
  summary: RunSummary;
  reportPath: string;
  targets: string[];
  /** The demo services' ports, when the run started them. */
  demo?: { host: string; httpPort: number; tlsPort: number };
  /** Wall time, and the parts spent inside nmap and inside the TLS scanner (for the overhead benchmark). */
  timings: {
    totalMs: number;
    nmapMs: number;
    tlsMs: number;
    topologyMs: number;
    topologyCached: boolean;
    topologySource: TopologySource;
    /** Wall time by stage, in order; they add up to `totalMs` less the report's writing. */
    stages: { stage: string; ms: number }[];
  };
}

const run = promisify(execFile);
const SETTLE_POLL_MS = 50;

const TOPOLOGY_SOURCES: Record<TopologySource, string> = {
  shipped: "shipped with the tree",
  cache: "from the cache: no program source changed",
  programs: "the programs run under the mock engine",
};

/** The repository root (one definition: the registry's). */
export { repoRoot };

export async function nmapAvailable(): Promise<boolean> {
  try {
    await run("nmap", ["--version"], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export async function runLocal(opts: LocalOptions): Promise<LocalResult> {
  const started = new Date();
  // Every line carries the elapsed time, so the stage a slow run is in shows on stderr.
  const write = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const log = (l: string) => write(`[${((Date.now() - started.getTime()) / 1000).toFixed(1)}s] ${l}`);
  const root = repoRoot();
  const dataDir = resolve(opts.dataDir ?? join(root, ".sec-an", "local"));
  mkdirSync(dataDir, { recursive: true });
  // --keep-running polls until Ctrl-C (or --timeout, when given); a plain run is always bounded.
  const deadline =
    opts.keepRunning && opts.timeoutSeconds === undefined
      ? Infinity
      : Date.now() + (opts.timeoutSeconds ?? 240) * 1000;
  let interrupted = false;
  let ecs: LocalEcs | undefined;
  // Handled until every cleanup has run: a default-handled second Ctrl-C would exit before the scan
  // tasks are stopped, leaving nmap running. A second signal skips the tasks' grace period instead.
  const onSignal = () => {
    if (interrupted) void ecs?.stop(0);
    interrupted = true;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const cleanups: (() => Promise<void> | void)[] = [];

  // Where the time goes, stage by stage (printed by the benchmark).
  const stages: { stage: string; ms: number }[] = [];
  let marked = started.getTime();
  const stage = (name: string) => {
    stages.push({ stage: name, ms: Date.now() - marked });
    marked = Date.now();
  };

  try {
    // Independent start-up work runs at once: the emulators and the topology start loading here, while
    // nmap is looked for and the demo services start.
    log("starting emulators (SQS/SNS/S3: fauxqs; DynamoDB: dynalite) and reading the topology");
    const emulatorsStarting = import(join(root, "packages/testing/emulators.mjs")).then((m) =>
      m.startEmulators(),
    );
    cleanups.push(async () => (await emulatorsStarting.catch(() => undefined))?.stop());
    // Every program, whichever scanners run: the ssl scanner subscribes to nmap's ports topic even
    // when nmap itself does not scan.
    const cacheDir = opts.topologyCacheDir ?? join(root, "node_modules", ".cache", "sec-an");
    const topologyStarted = Date.now();
    const topologyLoading = localTopology(root, "local", cacheDir).then((t) => ({
      ...t,
      ms: Date.now() - topologyStarted,
    }));
    topologyLoading.catch(() => undefined); // awaited below; a failure surfaces there
    // Each task's entrypoint bundled once (cached by the sources' hash), so a task starts in well
    // under a second; a miss builds while the run starts up.
    const bundlesBuilding = topologyLoading.then(({ topology }) => {
      const sourcesHash = programsHash(root, "local");
      return Promise.all(
        topology.taskDefinitions.flatMap((d) =>
          d.entry
            ? [taskBundle(root, d.entry, cacheDir, sourcesHash).then((file) => [d.entry!, file] as const)]
            : [],
        ),
      );
    });
    bundlesBuilding.catch(() => undefined); // awaited below
    const storeOpening = SqliteStore.open(join(dataDir, "analytics.sqlite")); // compiles SQLite's wasm
    storeOpening.catch(() => undefined); // awaited below

    let scanners = opts.scanners ?? registeredTasks(root);
    if (scanners.includes("nmap") && !(await nmapAvailable())) {
      log(
        "nmap is not installed: the nmap stage is skipped. Install it with `sudo apt-get install nmap` (Debian/Ubuntu).",
      );
      log("The ssl scanner still runs, fed port events for the demo services directly.");
      scanners = scanners.filter((s) => s !== "nmap");
    }

    let demo: DemoServices | undefined;
    let targets: string[];
    if (opts.targets?.length) {
      targets = expandTargets(opts.targets, opts.allowRemote ?? false);
    } else {
      demo = await startDemoServices();
      cleanups.push(() => demo!.close());
      targets = [demo.host];
      log(
        `demo services on ${demo.host}: http :${demo.httpPort}, tls :${demo.tlsPort} (self-signed, 1024-bit, expired)`,
      );
    }

    const emulators = await emulatorsStarting;
    const env: Record<string, string> = {
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_ENDPOINT_URL: emulators.awsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamoEndpoint,
      AWS_EC2_METADATA_DISABLED: "true",
      SEC_AN_APP: "sec-an",
      SEC_AN_STAGE: "local",
    };
    Object.assign(process.env, env);
    const cfg = { region: env.AWS_REGION, credentials: { accessKeyId: "local", secretAccessKey: "local" } };
    const clients: LocalClients = {
      sqs: new SQSClient({ ...cfg, endpoint: emulators.awsEndpoint }),
      sns: new SNSClient({ ...cfg, endpoint: emulators.awsEndpoint }),
      s3: new S3Client({ ...cfg, endpoint: emulators.awsEndpoint, forcePathStyle: true }),
      dynamo: new DynamoDBClient({ ...cfg, endpoint: emulators.dynamoEndpoint }),
    };

    const { topology, invocations, source, ms: topologyMs } = await topologyLoading;
    stage("start-up: demo services, emulators and topology, at once");
    log(
      `topology: ${topology.queues.length} queues, ${topology.topics.length} topics, ${topology.subscriptions.length} subscriptions, ${topology.functions.length} functions, ${topology.tables.length} tables (${TOPOLOGY_SOURCES[source]})`,
    );

    const translation = await provision(topology, clients);
    setParamOverrides(translation.applyAll(topology.parameters));
    const topicArn = localErrorsTopic(topology, translation, {
      app: env.SEC_AN_APP,
      stage: env.SEC_AN_STAGE,
    });
    const errorsFeed = await startErrorsFeed({ clients, topicArn, log });
    cleanups.push(() => errorsFeed.stop());
    stage("queues, topics, buckets and tables created");
    // The demo services listen on two known ports: scanning only those takes seconds, not minutes.
    // (The nmap entrypoint's DEFAULT_PORTS_ENV; the CLI loads no project code statically.)
    // NODE_PATH: the packages a task bundle leaves external (the AWS SDK) resolve from the repository
    // wherever the bundle is cached.
    const taskEnv = {
      ...env,
      NODE_PATH: join(root, "node_modules"),
      ...(demo && !opts.full ? { NMAP_DEFAULT_PORTS: `${demo.httpPort},${demo.tlsPort}` } : {}),
    };
    const bundles = new Map<string, string>();
    const loops: Loop[] = [];
    /** The bridges whose pending work no queue shows; swept before the run counts as settled. */
    const unseen: Loop[] = [];
    const localEcs = (ecs = new LocalEcs(topology.taskDefinitions, root, taskEnv, log, {
      allowRemote: opts.allowRemote,
      tmpRoot: join(dataDir, "tmp"),
      entrypointArgs: (def) => [bundles.get(def.entry)!],
    }));
    cleanups.push(() => localEcs.stop());
    setClients({ ...clients, ecs: localEcs as never });

    const store = await storeOpening;
    cleanups.push(() => store.close());
    const invoker = new LocalInvoker(topology.functions, root, translation, env);
    // A task's stop reaches the rules that match it, as on AWS: the task-stop Lambda dead-letters a failed scan.
    const bus = eventBus(topology.eventRules, invoker, {
      log,
      deadLetter: asyncDeadLetters(clients, topology, translation),
    });
    // What a handler or a task wrote (S3 objects, table items) is looked for at once, not at the next poll.
    const wakeBridges = () => unseen.forEach((l) => l.wake());
    invoker.onInvoked = wakeBridges;
    localEcs.onTaskStopped((e) => (wakeBridges(), bus(e)));
    await installStore(store);
    await replayInvocations(invocations, invoker, log);
    stage("local store and its index specs (handler loads)");

    cleanups.push(() => Promise.all(loops.map((l) => l.stop())).then(() => undefined));
    const refuse = loopbackGuard(opts.allowRemote ?? false);
    for (const es of topology.eventSources) {
      const local = translation.get(es.sourceMockArn);
      const queue = topology.queues.find((q) => q.mockArn === es.sourceMockArn);
      const table = topology.tables.find((t) => t.mockStreamArn === es.sourceMockArn);
      if (queue && local) {
        // Work queues refuse scans of non-loopback targets into their DLQ; a DLQ's consumer records all.
        const dlq = topology.queues.find((q) => q.mockArn === queue.redrive?.dlqMockArn);
        const guard = dlq && { refuse, deadLetterUrl: translation.apply(dlq.mockUrl) };
        loops.push(
          sqsPoller(
            clients,
            invoker,
            es.functionRef,
            translation.apply(queue.mockUrl),
            local,
            es.batchSize,
            guard,
          ),
        );
      } else if (table) {
        const stream = streamBridge(clients, invoker, {
          table: table.name,
          keys: [table.hashKey, ...(table.rangeKey ? [table.rangeKey] : [])],
          fnRef: es.functionRef,
          streamArn: table.mockStreamArn!,
        });
        loops.push(stream);
        unseen.push(stream);
      }
    }
    const notificationFailures: { key: string; error: string }[] = [];
    for (const n of topology.notifications) {
      const bridge = s3NotificationBridge(
        clients,
        invoker,
        { bucket: n.bucket, fnRef: n.functionMockArn, prefix: n.prefix, suffix: n.suffix },
        (key, e) => notificationFailures.push({ key, error: e.message }),
      );
      loops.push(bridge);
      unseen.push(bridge);
    }

    // --keep-running also serves the threat service (SOAR CTS) on loopback, over the local store.
    const cts = opts.keepRunning ? await serveCtsLocally({ topology, invoker, store }) : undefined;
    if (cts) cleanups.push(() => cts.close());
    if (cts) log(`threat service (SOAR CTS): ${cts.url}  (try: ${ctsExample(cts.url, targets[0])})`);

    for (const [entry, file] of await bundlesBuilding) bundles.set(entry, file);
    stage("bridges started; task entrypoints bundled (cached by the sources' hash)");

    // Interrupted while starting up: nothing is queued, and the report says what there is.
    const seeded = interrupted
      ? undefined
      : await seedScans({ topology, translation, invoker, clients, targets, demo, scanners, log });
    if (seeded === 0)
      throw new TargetError(
        `no scan was queued for ${targets.join(", ") || "no targets"}: nothing would be scanned (see the log above)`,
      );
    if (seeded !== undefined) log(`queued ${seeded} scan request(s); waiting for the pipeline to settle`);
    stage("scans planned and queued");

    // Settled = nothing queued (waiting, in flight or delayed), in a handler or in a task, and then a
    // fresh cycle of every bridge whose work no queue shows (new S3 objects, table changes) finds
    // nothing new: the run ends as soon as the pipeline is idle, with no quiet period to wait out.
    const queueUrls = topology.queues.map((q) => translation.apply(q.mockUrl));
    const busy = async () => {
      const depth = await queueDepth(clients, queueUrls);
      const handlers = loops.reduce((n, l) => n + l.inFlight(), 0);
      const progress = `in flight: ${depth} queued, ${handlers} in handlers, ${localEcs.running()} tasks running`;
      return { n: depth + handlers + localEcs.running(), progress };
    };
    let lastProgress = "";
    // The report's views load while a scan task runs (the in-process handlers are idle then), not after.
    let views: ReturnType<typeof registeredViews> | undefined;
    while (Date.now() < deadline && !interrupted) {
      await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
      if (!views && localEcs.running() > 0) views = registeredViews();
      const now = await busy();
      if (now.progress !== lastProgress) log(now.progress);
      lastProgress = now.progress;
      if (now.n > 0 || opts.keepRunning) continue;
      const found = await Promise.all(unseen.map((l) => l.sweep!()));
      if (found.every((n) => n === 0) && (await busy()).n === 0) break;
    }
    stage("pipeline until settled (nmap and the TLS scanner run here)");
    if (interrupted) log("interrupted: reporting what has arrived so far");
    else if (Date.now() >= deadline) log("deadline reached: reporting what has arrived so far");

    const summary = summarise(
      store.dump(),
      (views ?? registeredViews()).map((r) => r.views),
    );
    stage("summary");
    const finished = new Date();
    const reportPath = join(dataDir, "report.html");
    writeFileSync(reportPath, htmlReport(summary, { startedAt: started, finishedAt: finished, targets }));
    writeFileSync(join(dataDir, "summary.json"), JSON.stringify(summary, null, 2));
    const nmapMs = localEcs.runs.reduce(
      (n, r) => n + ((r.finishedAt ?? finished).getTime() - r.startedAt.getTime()),
      0,
    );
    const tlsMs = [...invoker.counts]
      .filter(([name]) => /ssl.*scan/.test(name))
      .reduce((n, [, c]) => n + c.ms, 0);
    return {
      summary,
      reportPath,
      targets,
      demo: demo && { host: demo.host, httpPort: demo.httpPort, tlsPort: demo.tlsPort },
      timings: {
        totalMs: finished.getTime() - started.getTime(),
        nmapMs,
        tlsMs,
        topologyMs,
        topologyCached: source !== "programs",
        topologySource: source,
        stages,
      },
    };
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        log(`cleanup: ${(e as Error).message}`);
      }
    }
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Messages waiting, in flight or delayed across the work queues (dead-letter queues are not work). */
async function queueDepth(sqs: LocalClients, urls: string[]): Promise<number> {
  const work = urls.filter((u) => !/dlq|dead/i.test(u));
  const depths = await Promise.all(
    work.map(async (QueueUrl) => {
      const { Attributes: a } = await sqs.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
          ],
        }),
      );
      return (
        Number(a?.ApproximateNumberOfMessages ?? 0) +
        Number(a?.ApproximateNumberOfMessagesNotVisible ?? 0) +
        Number(a?.ApproximateNumberOfMessagesDelayed ?? 0)
      );
    }),
  );
  return depths.reduce((a, b) => a + b, 0);
}

export { terminalSummary };
