import { Type, type Static } from "@sinclair/typebox";
import { TaskBatch, parseJson } from "@sec-an/contracts";

/**
 * What the launcher needs to start a Fargate task. The EcsTask component writes it, as JSON, into one
 * environment variable: every value is an id or ARN fixed at deploy time (none is a secret), and one
 * variable keeps the component and the launcher from ever disagreeing on a list of names.
 */
export const LAUNCHER_CONFIG_ENV = "SEC_AN_LAUNCHER_CONFIG";

const Name = Type.String({ pattern: "^[a-z][a-z0-9_-]{0,40}$" });
const NonEmpty = Type.String({ minLength: 1, maxLength: 2048 });

export const LauncherProvider = Type.Object({
  /** Task definition ARN (with revision) to run. */
  taskDefinition: NonEmpty,
  /** Name of the container in that task definition whose environment is overridden. */
  container: Type.String({ minLength: 1, maxLength: 255 }),
});
export type LauncherProvider = Static<typeof LauncherProvider>;

export const LauncherConfig = Type.Object(
  {
    task: Name,
    cluster: NonEmpty,
    subnets: Type.Array(NonEmpty, { minItems: 1, maxItems: 16 }),
    securityGroups: Type.Array(NonEmpty, { minItems: 1, maxItems: 5 }),
    assignPublicIp: Type.Boolean(),
    resultsBucket: NonEmpty,
    /** The task queue's dead-letter queue: permanent errors go there directly, with their reason. */
    deadLetterQueueUrl: NonEmpty,
    providers: Type.Record(Name, LauncherProvider, { minProperties: 1 }),
    defaultProvider: Name,
    /** Requests one task scans (absent: 1, one task per request). */
    targetsPerTask: Type.Optional(Type.Integer({ minimum: 1, maximum: TaskBatch.maxTargets })),
  },
  { title: "LauncherConfig" },
);
export type LauncherConfig = Static<typeof LauncherConfig>;

/** Parse and check the launcher config, e.g. from `process.env`. Throws naming the bad field. */
export function readLauncherConfig(env: NodeJS.ProcessEnv = process.env): LauncherConfig {
  const text = env[LAUNCHER_CONFIG_ENV];
  if (!text)
    throw new Error(`${LAUNCHER_CONFIG_ENV} is not set: the EcsTask component sets it on the launcher`);
  const config = parseJson(LauncherConfig, text, LAUNCHER_CONFIG_ENV);
  if (!Object.hasOwn(config.providers, config.defaultProvider)) {
    throw new Error(
      `${LAUNCHER_CONFIG_ENV}: default provider ${JSON.stringify(config.defaultProvider)} is not one of the providers`,
    );
  }
  return config;
}
