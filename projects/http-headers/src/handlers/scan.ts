import { makeScannerScanHandler } from "@sec-an/runtime";
import { scanner } from "../scanner";

/** Task-queue consumer: one request → `scan` → raw result in the lake (partial batch failures). */
export const handler = makeScannerScanHandler(scanner);
