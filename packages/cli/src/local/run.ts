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
import { runProgramsCached } from "./programs";
import { provision, type LocalClients } from "./provision";
import { localErrorsTopic, startErrorsFeed } from "./errors-feed";
import { htmlReport, summarise, terminalSummary, type RunSummary } from "./report";
import { ctsExample, serveCtsLocally } from "./cts-server";
import { installStore, replayInvocations, seedScans } from "./seed";
import { SqliteStore } from "./sqlite-store";
import { TargetError, expandTargets, loopbackGuard } from "./targets";
import { emptyTopology, readTopology } from "./topology";
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
  timings: { totalMs: number; nmapMs: number; tlsMs: number; topologyMs: number; topologyCached: boolean };
}

const run = promisify(execFile);
const SETTLE_POLL_MS = 100;
/** Longer than the slowest bridge's idle poll (see bridges.ts) plus one of its cycles. */
const SETTLE_QUIET_MS = 1000;

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

  try {
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

    log("starting emulators (SQS/SNS/S3: fauxqs; DynamoDB: dynalite)");
    const { startEmulators } = await import(join(root, "packages/testing/emulators.mjs"));
    const emulators = await startEmulators();
    cleanups.push(() => emulators.stop());
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

    log("reading the topology (the Pulumi programs under the mock engine, cached by their sources' hash)");
    // Every program, whichever scanners run: the ssl scanner subscribes to nmap's ports topic even
    // when nmap itself does not scan.
    const topologyStarted = Date.now();
    const { runs, cached } = await runProgramsCached(
      root,
      "local",
      opts.topologyCacheDir ?? join(root, "node_modules", ".cache", "sec-an"),
    );
    const topologyMs = Date.now() - topologyStarted;
    if (cached) log("topology: from the cache (no program source changed)");
    const topology = emptyTopology();
    for (const r of runs) readTopology(r.records, topology);
    log(
      `topology: ${topology.queues.length} queues, ${topology.topics.length} topics, ${topology.subscriptions.length} subscriptions, ${topology.functions.length} functions, ${topology.tables.length} tables`,
    );

    const translation = await provision(topology, clients);
    setParamOverrides(translation.applyAll(topology.parameters));
    const topicArn = localErrorsTopic(topology, translation, {
      app: env.SEC_AN_APP,
      stage: env.SEC_AN_STAGE,
    });
    const errorsFeed = await startErrorsFeed({ clients, topicArn, log });
    cleanups.push(() => errorsFeed.stop());
    // The demo services listen on two known ports: scanning only those takes seconds, not minutes.
    // (The nmap entrypoint's DEFAULT_PORTS_ENV; the CLI loads no project code statically.)
    const taskEnv =
      demo && !opts.full ? { ...env, NMAP_DEFAULT_PORTS: `${demo.httpPort},${demo.tlsPort}` } : env;
    const localEcs = (ecs = new LocalEcs(topology.taskDefinitions, root, taskEnv, log, {
      allowRemote: opts.allowRemote,
      tmpRoot: join(dataDir, "tmp"),
    }));
    cleanups.push(() => localEcs.stop());
    setClients({ ...clients, ecs: localEcs as never });

    const store = await SqliteStore.open(join(dataDir, "analytics.sqlite"));
    cleanups.push(() => store.close());
    const invoker = new LocalInvoker(topology.functions, root, translation, env);
    // A task's stop reaches the rules that match it, as on AWS: the task-stop Lambda dead-letters a failed scan.
    localEcs.onTaskStopped(
      eventBus(topology.eventRules, invoker, {
        log,
        deadLetter: asyncDeadLetters(clients, topology, translation),
      }),
    );
    await installStore(store);
    await replayInvocations(runs, invoker, log);

    const loops: Loop[] = [];
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
        loops.push(
          streamBridge(clients, invoker, {
            table: table.name,
            keys: [table.hashKey, ...(table.rangeKey ? [table.rangeKey] : [])],
            fnRef: es.functionRef,
            streamArn: table.mockStreamArn!,
          }),
        );
      }
    }
    const notificationFailures: { key: string; error: string }[] = [];
    for (const n of topology.notifications) {
      loops.push(
        s3NotificationBridge(
          clients,
          invoker,
          { bucket: n.bucket, fnRef: n.functionMockArn, prefix: n.prefix, suffix: n.suffix },
          (key, e) => notificationFailures.push({ key, error: e.message }),
        ),
      );
    }

    // --keep-running also serves the threat service (SOAR CTS) on loopback, over the local store.
    const cts = opts.keepRunning ? await serveCtsLocally({ topology, invoker, store }) : undefined;
    if (cts) cleanups.push(() => cts.close());
    if (cts) log(`threat service (SOAR CTS): ${cts.url}  (try: ${ctsExample(cts.url, targets[0])})`);

    // Interrupted while starting up: nothing is queued, and the report says what there is.
    const seeded = interrupted
      ? undefined
      : await seedScans({ topology, translation, invoker, clients, targets, demo, scanners, log });
    if (seeded === 0)
      throw new TargetError(
        `no scan was queued for ${targets.join(", ") || "no targets"}: nothing would be scanned (see the log above)`,
      );
    if (seeded !== undefined) log(`queued ${seeded} scan request(s); waiting for the pipeline to settle`);

    // Settled = nothing queued, in a handler or in a task for SETTLE_QUIET_MS on end. Checked every
    // SETTLE_POLL_MS; the quiet window outlasts every bridge's idle poll, so work a bridge has yet to
    // notice (a new S3 object, a stream record) is never mistaken for the end.
    let quietSince: number | undefined;
    let lastProgress = "";
    while (Date.now() < deadline && !interrupted) {
      await new Promise((r) => setTimeout(r, SETTLE_POLL_MS));
      const depth = await queueDepth(
        clients,
        topology.queues.map((q) => translation.apply(q.mockUrl)),
      );
      const handlers = loops.reduce((n, l) => n + l.inFlight(), 0);
      const busy = handlers + localEcs.running() + depth;
      const progress = `in flight: ${depth} queued, ${handlers} in handlers, ${localEcs.running()} tasks running`;
      if (progress !== lastProgress) log(progress);
      lastProgress = progress;
      quietSince = busy === 0 ? (quietSince ?? Date.now()) : undefined;
      if (quietSince !== undefined && Date.now() - quietSince >= SETTLE_QUIET_MS && !opts.keepRunning) break;
    }
    if (interrupted) log("interrupted: reporting what has arrived so far");
    else if (Date.now() >= deadline) log("deadline reached: reporting what has arrived so far");

    const summary = summarise(store.dump());
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
        topologyCached: cached,
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
