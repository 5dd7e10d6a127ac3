import { makeScannerParseHandler } from "@sec-an/runtime";
import { scanner } from "../scanner";

/** Raw-results parser (S3 ObjectCreated under `config-scanner/`): finding documents to the results topic. */
export const handler = makeScannerParseHandler(scanner);
