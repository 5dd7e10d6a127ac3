import {
  ListResourceRecordSetsCommand,
  Route53Client,
  paginateListHostedZones,
  type ListResourceRecordSetsCommandInput,
  type ResourceRecordSet,
  type Route53ClientConfig,
} from "@aws-sdk/client-route-53";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { RateLimiter } from "./rate-limiter";

/** Route53 client whose every request waits for the shared rate limiter (paginators require a Route53Client). */
export class RateLimitedRoute53Client extends Route53Client {
  constructor(
    config: Route53ClientConfig,
    private readonly limiter: RateLimiter,
  ) {
    super(config);
  }

  // The base method is overloaded (promise and callback forms); only the promise form is used here.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override send(command: any, options?: any): Promise<any> {
    return this.limiter.take().then(() => super.send(command, options));
  }
}

export interface Route53Options {
  /** Cross-account read-only role to assume; the Lambda's own credentials when absent. */
  readonly roleArn?: string;
  readonly requestsPerSecond: number;
  readonly maxAttempts?: number;
  readonly region?: string;
}

/** A Route53 reader: assumed role, adaptive retries on throttling, and a client-side rate limit. */
export function route53Client(o: Route53Options): RateLimitedRoute53Client {
  return new RateLimitedRoute53Client(
    {
      region: o.region ?? "us-east-1", // Route53 is global; its endpoint lives in us-east-1.
      retryMode: "adaptive",
      maxAttempts: o.maxAttempts ?? 10,
      ...(o.roleArn
        ? {
            credentials: fromTemporaryCredentials({
              params: { RoleArn: o.roleArn, RoleSessionName: "ScanPlanSession" },
            }),
          }
        : {}),
    },
    new RateLimiter(o.requestsPerSecond),
  );
}

/** `/hostedzone/Z123` and `Z123` name the same zone; the original compared them raw, so its alias skip never fired. */
export function normaliseZoneId(id: string): string {
  return id.replace(/^\/?hostedzone\//, "");
}

export interface HostedZoneRef {
  /** Normalised id (no `/hostedzone/` prefix). */
  readonly id: string;
  readonly name: string;
}

export async function listZones(client: Route53Client): Promise<HostedZoneRef[]> {
  const zones: HostedZoneRef[] = [];
  for await (const page of paginateListHostedZones({ client, pageSize: 100 }, {})) {
    for (const z of page.HostedZones ?? []) {
      if (z.Id && z.Name) zones.push({ id: normaliseZoneId(z.Id), name: z.Name });
    }
  }
  return zones;
}

/**
 * Every record set of a zone. ListResourceRecordSets pages on three tokens (name, type, identifier),
 * which the SDK's paginator factory cannot express, so this loop follows them itself.
 */
export async function* listRecordSets(
  client: Route53Client,
  zoneId: string,
): AsyncGenerator<ResourceRecordSet> {
  let input: ListResourceRecordSetsCommandInput = { HostedZoneId: zoneId, MaxItems: 300 };
  for (;;) {
    const page = await client.send(new ListResourceRecordSetsCommand(input));
    yield* page.ResourceRecordSets ?? [];
    if (!page.IsTruncated) return;
    input = {
      HostedZoneId: zoneId,
      MaxItems: 300,
      StartRecordName: page.NextRecordName,
      StartRecordType: page.NextRecordType,
      StartRecordIdentifier: page.NextRecordIdentifier,
    };
  }
}
