import { makeScannerScanHandler } from "@sec-an/runtime";
import { scanner } from "../scanner";

/**
 * Task-queue consumer: each EventBridge event (or sweep) is evaluated and kept in the lake. Failures
 * go to the task DLQ with their reason: malformed input at once, throttled or denied Describe calls on
 * the last attempt.
 */
export const handler = makeScannerScanHandler(scanner);
