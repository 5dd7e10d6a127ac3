import { makeScannerParseHandler } from "@sec-an/runtime";
import { sslTask } from "../task";

/** Raw-results parser (S3 ObjectCreated under `ssl/`): one collection per scan to the results topic. */
export const handler = makeScannerParseHandler(sslTask);
