/**
 * sec-an-http-headers: the security headers of every web port nmap finds. Port-detected events for
 * HTTP(S) services and common web ports reach the task queue through an SNS filter policy; the scan
 * Lambda fetches the response headers of `/`; the parser reports missing and weak ones.
 *
 * The Scanner component builds everything from the scanner module: the task queue and its dead
 * letters, the scan, the raw-results bucket, the parser, the results topic feeding the analytics ingest
 * queue, and an index per document type with its saved objects.
 */
import * as pulumi from "@pulumi/pulumi";
import { Attr, CascadeTopics, MAX_CASCADE_DEPTH, resourcePrefix } from "@sec-an/contracts";
import { Scanner, readStackConfig, ssmParam } from "@sec-an/components";
import { scanner } from "./scanner";
import { configSchema, type Config } from "./stack-config";

/**
 * Which port-detected events reach this scanner: HTTP(S) services as nmap names them (HTTPS is often
 * `http` tunnelled over ssl), or a common web port whatever nmap named it, within the cascade depth.
 */
export const FILTER = {
  [Attr.protocol]: ["tcp"],
  [Attr.depth]: [{ numeric: ["<=", MAX_CASCADE_DEPTH] }],
  $or: [
    { [Attr.service]: ["http", "https", "http-proxy", "http-alt"] },
    { [Attr.port]: [80, 443, 8000, 8008, 8080, 8443, 8888] },
  ],
};

export function program(config: Config) {
  const d = config.deployment;
  const s = new Scanner(`${resourcePrefix(d)}-http-headers`, {
    deployment: d,
    module: scanner,
    scanTimeout: config.scanTimeout,
    scanMemory: config.scanMemory,
    subscribeTo: [{ name: "ports", topic: ssmParam(d, CascadeTopics.ports.param), filterPolicy: FILTER }],
    subscribeToIngest: true,
    views: config.views,
    forceDestroy: config.forceDestroy,
    tags: { app: d.app, stage: d.stage, project: "http-headers" },
  });
  return {
    taskQueueUrl: s.task.queue.url,
    resultsTopicArn: s.task.topic.arn,
    resultsBucket: s.task.bucket.bucket,
  };
}

/** The program as `pulumi up` runs it: the stack config read and checked first. */
export function runFromConfig(stack: string = pulumi.getStack()) {
  return program(
    readStackConfig(new pulumi.Config("sec-an-http-headers"), "sec-an-http-headers", configSchema, stack),
  );
}
