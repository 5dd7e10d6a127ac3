import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Params, resourcePrefix, type Deployment } from "@sec-an/contracts";
import {
  bundleEntry,
  LAMBDA_RUNTIME,
  readStackConfig,
  SsmExports,
  stackConfigSchema,
  Type,
  type ConfigLike,
} from "@sec-an/components";

const NAMESPACE = "sec-an-shared-code";

/** Modules the layer provides, under `nodejs/node_modules` (on Lambda's module path for Node layers). */
export interface LayerModule {
  /** Package name as `require`d by function code. */
  readonly name: string;
  /** TypeScript entry bundled into the module's `index.js`. */
  readonly entry: string;
  readonly version: string;
  /** Packages left as requires: the AWS SDK (in the runtime) and sibling modules of the layer. */
  readonly external?: readonly string[];
}

export interface SharedCodeConfig {
  readonly deployment: Deployment;
  /** Other AWS accounts allowed to use the layer (`lambda:GetLayerVersion`). */
  readonly shareWithAccounts: readonly string[];
  /** Layer contents (default: `@sec-an/runtime` and `@sec-an/contracts`); tests pass fixtures. */
  readonly modules?: readonly LayerModule[];
}

const pkgDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));
const pkgVersion = (name: string): string =>
  (JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string })
    .version;

/** The runtime kit and the contracts it is built on; the runtime uses the contracts module beside it. */
export function defaultLayerModules(): LayerModule[] {
  return [
    {
      name: "@sec-an/contracts",
      entry: path.join(pkgDir("@sec-an/contracts"), "src", "index.ts"),
      version: pkgVersion("@sec-an/contracts"),
    },
    {
      name: "@sec-an/runtime",
      entry: path.join(pkgDir("@sec-an/runtime"), "src", "index.ts"),
      version: pkgVersion("@sec-an/runtime"),
      external: ["@sec-an/contracts"],
    },
  ];
}

/** Files of the layer archive: one bundled `index.js` and a `package.json` per module. */
export function layerFiles(modules: readonly LayerModule[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const m of modules) {
    if (!/^(@[a-z0-9-]+\/)?[a-z0-9-]+$/.test(m.name))
      throw new Error(`invalid module name ${JSON.stringify(m.name)}`);
    const dir = `nodejs/node_modules/${m.name}`;
    files[`${dir}/index.js`] = bundleEntry(m.entry, { external: m.external });
    files[`${dir}/package.json`] =
      `${JSON.stringify({ name: m.name, version: m.version, main: "index.js", license: "Apache-2.0" }, null, 2)}\n`;
  }
  return files;
}

/** The stack config: one schema, its defaults, and errors naming the key. */
export const configSchema = stackConfigSchema({
  /** Other AWS accounts allowed to use the layer (`lambda:GetLayerVersion`). */
  shareWithAccounts: Type.Array(Type.String({ pattern: "^\\d{12}$" }), {
    default: [],
    errorMessage: "must be a list of 12-digit AWS account ids",
  }),
});

export function readConfig(config: ConfigLike, stackName: string): SharedCodeConfig {
  const { deployment, shareWithAccounts } = readStackConfig(config, NAMESPACE, configSchema, stackName);
  return { deployment, shareWithAccounts };
}

/** Config of the running stack (what `index.ts` and the local runner use). */
export function parseConfig(
  config = new pulumi.Config(NAMESPACE),
  stackName = pulumi.getStack(),
): SharedCodeConfig {
  return readConfig(config, stackName);
}

/** The program as `pulumi up` runs it, for a stack name (config read from the engine). */
export function runFromConfig(stackName = pulumi.getStack()) {
  return program(parseConfig(new pulumi.Config(NAMESPACE), stackName));
}

/**
 * The shared-code stack. Our own functions bundle their code (and the runtime kit) per function, as
 * Powertools recommends; this layer is for scanner authors outside the monorepo who want the same
 * kit without building it (see README.md). Published to SSM as `Params.layerUtilsArn`.
 */
export function program(config: SharedCodeConfig) {
  const prefix = resourcePrefix(config.deployment);
  const files = layerFiles(config.modules ?? defaultLayerModules());
  const layer = new aws.lambda.LayerVersion("shared-utils", {
    layerName: `${prefix}-shared-utils`,
    description: `sec-an runtime kit (${Object.keys(files).filter((f) => f.endsWith("package.json")).length} modules); AWS SDK v3 from the Lambda runtime`,
    code: new pulumi.asset.AssetArchive(
      Object.fromEntries(Object.entries(files).map(([k, v]) => [k, new pulumi.asset.StringAsset(v)])),
    ),
    compatibleRuntimes: [LAMBDA_RUNTIME],
    // Pure JavaScript: the same archive serves both architectures.
    compatibleArchitectures: ["arm64", "x86_64"],
    licenseInfo: "Apache-2.0",
    // Keep superseded versions: functions deployed elsewhere may pin an older version ARN, and
    // deleting it would break their next deployment.
    skipDestroy: true,
  });
  const permissions = config.shareWithAccounts.map(
    (account) =>
      new aws.lambda.LayerVersionPermission(`shared-utils-${account}`, {
        layerName: layer.layerName,
        versionNumber: layer.version.apply(Number),
        statementId: `account-${account}`,
        action: "lambda:GetLayerVersion",
        principal: account,
      }),
  );
  const exportsToSsm = new SsmExports("shared-code", {
    deployment: config.deployment,
    values: { layerUtilsArn: { def: Params.layerUtilsArn, value: layer.arn } },
  });
  return { layer, permissions, layerArn: layer.arn, ssm: exportsToSsm.values };
}
