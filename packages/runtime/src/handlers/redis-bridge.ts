import { createClient } from "redis";
import {
  ErrorChannelEnv,
  PlatformErrorEvent,
  RedisBridgeSettings,
  errorChannelName,
  validate,
} from "@sec-an/contracts";
import type { SQSRecord } from "aws-lambda";
import { logger, parseRecordBody, sqsBatchHandler, type SqsBatchHandler } from "../batch";
import { deadLetterTargetFromEnv } from "../dlq";

/**
 * Errors topic → SQS → this function → Redis PUBLISH on `${container}:${service}`, the channel the
 * scanner consumers' error listeners subscribe to. A record that is not an error event goes to the DLQ
 * ("malformed"); a Redis that cannot be reached or refuses the token fails the record, so SQS retries
 * it and its last attempt is dead-lettered ("retries-exhausted"): an outage never drops an event.
 */

/** The channel and payload of one event: the event's own container when it names one, else the configured one. */
export function bridgeMessage(
  event: PlatformErrorEvent,
  defaultContainer: string,
): { channel: string; message: string } {
  return {
    channel: errorChannelName(event.container ?? defaultContainer, event.service),
    message: JSON.stringify(event),
  };
}

/** The bridge's settings from its environment (set by the shared-infra component); throws naming the bad value. */
export function bridgeSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): RedisBridgeSettings {
  const port = Number(env[ErrorChannelEnv.redisPort]);
  return validate(
    RedisBridgeSettings,
    {
      host: env[ErrorChannelEnv.redisHost],
      port: Number.isNaN(port) ? env[ErrorChannelEnv.redisPort] : port,
      tls: env[ErrorChannelEnv.redisTls] === "true",
      container: env[ErrorChannelEnv.redisContainer],
      ...(env[ErrorChannelEnv.redisAuthSecretArn]
        ? { authSecretArn: env[ErrorChannelEnv.redisAuthSecretArn] }
        : {}),
    },
    "Redis bridge environment",
  );
}

/** What the bridge needs from Redis: one PUBLISH. */
export interface RedisPublisher {
  publish(channel: string, message: string): Promise<number>;
}

export interface RedisBridgeDeps {
  settings: () => RedisBridgeSettings;
  /** The AUTH token named by `authSecretArn`. `refresh` skips any cache (after a refused AUTH). */
  authToken: (secretArn: string, refresh: boolean) => Promise<string>;
  /** Opens a connected publisher (default: node-redis). */
  connect?: (s: RedisBridgeSettings, password: string | undefined) => Promise<RedisPublisher & Closable>;
}

interface Closable {
  destroy(): void;
}

/** Gives up on an unreachable server well inside the function's timeout, so the record is retried. */
const CONNECT_TIMEOUT_MS = 3000;

async function connectRedis(
  s: RedisBridgeSettings,
  password: string | undefined,
): Promise<RedisPublisher & Closable> {
  const client = createClient({
    socket: s.tls
      ? {
          host: s.host,
          port: s.port,
          tls: true,
          connectTimeout: CONNECT_TIMEOUT_MS,
          reconnectStrategy: false,
        }
      : { host: s.host, port: s.port, connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: false },
    password,
    // A command sent while disconnected fails at once instead of waiting for a reconnect that never comes.
    disableOfflineQueue: true,
  });
  // node-redis emits socket errors as events; without a listener they would crash the process.
  client.on("error", (e: Error) => logger.warn("redis connection error", { error: e }));
  await client.connect();
  return client;
}

/** A batch handler publishing each error event to Redis over one connection, kept between invocations. */
export function makeRedisBridge(deps: RedisBridgeDeps): SqsBatchHandler {
  const connect = deps.connect ?? connectRedis;
  let open: Promise<RedisPublisher & Closable> | undefined;
  let refreshToken = false;

  const publisher = (s: RedisBridgeSettings) =>
    (open ??= (async () => {
      const password = s.authSecretArn ? await deps.authToken(s.authSecretArn, refreshToken) : undefined;
      return connect(s, password);
    })());

  const drop = async () => {
    const was = open;
    open = undefined;
    // The token may have been rotated: the next connection reads it again.
    refreshToken = true;
    try {
      (await was)?.destroy();
    } catch {
      // It never connected: nothing to close.
    }
  };

  return sqsBatchHandler(
    async (record: SQSRecord) => {
      const event = parseRecordBody(PlatformErrorEvent, record);
      const s = deps.settings();
      const { channel, message } = bridgeMessage(event, s.container);
      try {
        await (await publisher(s)).publish(channel, message);
        refreshToken = false;
      } catch (e) {
        await drop();
        throw e;
      }
      return channel;
    },
    {
      // Its own dead letters are not error events: an unreachable Redis would otherwise feed itself forever.
      deadLetter: () => {
        const target = deadLetterTargetFromEnv();
        return target && { ...target, reportErrors: false };
      },
    },
  );
}

/** Default token lookup: Secrets Manager through Powertools, cached for 5 minutes. */
async function secretToken(secretArn: string, refresh: boolean): Promise<string> {
  const { getSecret } = await import("@aws-lambda-powertools/parameters/secrets");
  const value = await getSecret(secretArn, { maxAge: 300, forceFetch: refresh });
  if (typeof value !== "string" || value === "")
    throw new Error(`secret ${secretArn} holds no string token for Redis AUTH`);
  return value;
}

export const handler = makeRedisBridge({
  settings: () => bridgeSettingsFromEnv(),
  authToken: secretToken,
});
