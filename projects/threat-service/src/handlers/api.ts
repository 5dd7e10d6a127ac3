import { CtsEnv } from "@sec-an/contracts";
import { dynamoDocClient, sqsClient } from "@sec-an/runtime";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { SearchQueue } from "../adapters";
import { fromApiGateway, serve } from "../http";
import { searcherRegistry } from "../searchers";
import type { ServiceDeps } from "../service";
import { epochNow, requiredEnv, serviceNameFromEnv, tablesFromEnv } from "../settings";
import { SearchState } from "../state";

const searchers = searcherRegistry();

/** The service's dependencies from the function's environment. */
export function apiDeps(env: NodeJS.ProcessEnv = process.env): ServiceDeps {
  const queue = new SearchQueue(sqsClient(), requiredEnv(CtsEnv.searchQueueUrl, env));
  return {
    state: new SearchState(dynamoDocClient(), tablesFromEnv(env)),
    searchers,
    startSearch: (job) => queue.send(job),
    now: epochNow,
  };
}

let deps: ServiceDeps | undefined;

/** OPTIONS/POST/GET /cts/{name}[/{id}] through API Gateway's proxy integration. */
export const handler = (event: APIGatewayProxyEvent) =>
  serve(fromApiGateway(event), serviceNameFromEnv(), () => (deps ??= apiDeps()));
