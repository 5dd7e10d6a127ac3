import { makeScanHandler } from "@sec-an/runtime";
import { sslTask } from "../task";

/** Task-queue consumer: one port-detected event → TLS checks → raw JSON in the lake (partial batch failures). */
export const handler = makeScanHandler({
  task: sslTask.name,
  requestSchema: sslTask.requestSchema,
  scan: sslTask.scan,
});
