import { scannerViews } from "@sec-an/contracts";
import { scanner } from "./scanner";

/** The project's views (views/*.json, the one views format), as every project exports them. */
export const views = scannerViews(scanner.name, scanner.views);
