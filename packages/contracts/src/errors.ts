import { Type, type Static } from "@sinclair/typebox";
import { Attr, Limits } from "./names";
import { resourcePrefix, type Deployment } from "./projects";

/**
 * The real-time error channel: every handled failure (a dead letter, a failed scan task) is published as
 * a `PlatformErrorEvent` to the errors SNS topic, with filterable message attributes; an optional bridge
 * republishes each event to Redis pub/sub on `${container}:${service}`, the channel the scanner
 * consumers' error listeners subscribe to.
 */

/** Names a container or service may take inside a Redis channel name (no `:` so the channel splits cleanly). */
const ChannelPart = Type.String({ minLength: 1, maxLength: 128, pattern: "^[A-Za-z0-9._-]+$" });

/** `v` made into a valid channel part: other characters become `-`, cut to 128. */
export const toChannelPart = (v: string): string =>
  v.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 128) || "unknown";
const IsoTime = Type.String({ format: "date-time", pattern: "^\\d{4}-\\d{2}-\\d{2}T", maxLength: 40 });

export const PlatformErrorEvent = Type.Object(
  {
    /** The function or service that failed (its Lambda function name). */
    service: ChannelPart,
    /** The scan task the failure concerns (`nmap`, `ssl`, …), or `platform` for shared services. */
    task: Type.String({ minLength: 1, maxLength: 64 }),
    /** Why, as a code a listener can switch on: `malformed`, `retries-exhausted`, `task-stopped`, … */
    code: Type.String({ minLength: 1, maxLength: 64 }),
    message: Type.String({ maxLength: Limits.reasonBytes }),
    /** The id that finds the failed input again (SQS message id, task ARN, Lambda request id). */
    requestId: Type.String({ minLength: 1, maxLength: 256 }),
    scanId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    /** The ECS container (provider) that ran the failed scan, when a container was involved. */
    container: Type.Optional(ChannelPart),
    /** URL of the dead-letter queue the input went to. */
    dlq: Type.Optional(Type.String({ maxLength: 1024 })),
    /** ARN of the queue or stream the failed input came from. */
    source: Type.Optional(Type.String({ maxLength: 1024 })),
    time: IsoTime,
  },
  { title: "PlatformErrorEvent" },
);
export type PlatformErrorEvent = Static<typeof PlatformErrorEvent>;

/** SNS message attributes of an error event, for subscription filter policies. */
export const ErrorAttr = {
  service: "Service",
  task: Attr.task,
  code: Attr.errorCode,
  scanId: Attr.scanId,
  container: "Container",
} as const;

/** Task named in an error event when the failing function serves the platform as a whole. */
export const PLATFORM_TASK = "platform";

/** Environment of the error channel's publishers and of the Redis bridge (never secrets: the token is in Secrets Manager). */
export const ErrorChannelEnv = {
  /** ARN of the errors topic; a function without it publishes no error events. */
  topicArn: "SEC_AN_ERRORS_TOPIC_ARN",
  redisHost: "SEC_AN_REDIS_HOST",
  redisPort: "SEC_AN_REDIS_PORT",
  redisTls: "SEC_AN_REDIS_TLS",
  /** Channel prefix for events that name no container of their own. */
  redisContainer: "SEC_AN_REDIS_CONTAINER",
  /** ARN of the Secrets Manager secret holding the Redis AUTH token (read at run time). */
  redisAuthSecretArn: "SEC_AN_REDIS_AUTH_SECRET_ARN",
} as const;

/** Where the bridge publishes: an ElastiCache endpoint or an existing Redis server. */
export const RedisBridgeSettings = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253, pattern: "^[A-Za-z0-9.-]+$" }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    tls: Type.Boolean(),
    container: ChannelPart,
    authSecretArn: Type.Optional(
      Type.String({ pattern: "^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\\d{12}:secret:.+$" }),
    ),
  },
  { title: "RedisBridgeSettings", additionalProperties: false },
);
export type RedisBridgeSettings = Static<typeof RedisBridgeSettings>;

/** Physical name of the errors topic: fixed, so every function's role can name it without a deploy-time lookup. */
export function errorsTopicName(d: Deployment): string {
  return `${resourcePrefix(d)}-errors`;
}

/** The Redis pub/sub channel of an event: `${container}:${service}`. */
export function errorChannelName(container: string, service: string): string {
  return `${container}:${service}`;
}
